/**
 * Key layout shared by every store, and calendar-month (UTC) arithmetic for meters.
 *
 * Every key of one request carries the same Redis Cluster hash tag, so one Lua script may touch
 * them all: `{t:<tenant>}` when the tenant is known, else `{ip:<ip>}`.
 *
 *   {t:ten_1}:rl:s:default:k:key_1         sliding log of `default` for API key key_1
 *   {t:ten_1}:rl:g:default.burst:k:key_1   GCRA bucket of its burst companion
 *   {t:ten_1}:rl:f:reads:t                 fixed window of `reads` for the whole tenant
 *   {t:ten_1}:rl:c:audit:t                 a sliding-window counter (two weighted windows)
 *   {t:ten_1}:rl:f:x:ip:203.0.113.7        an ip-scoped policy (counted per tenant and ip)
 *   {t:ten_1}:use:2026-03                  usage hash (meter → count) for March 2026
 *
 * The algorithm letter (f/s/c/g) is part of the key so a contract change of algorithm never meets
 * state of another shape. Stores prepend their own namespace (RedisStore: `tl:`).
 * @module
 */
import type { PolicyScope } from '../contract/model.js';
import type { LimiterKind } from './types.js';

const KIND_LETTER: Record<LimiterKind, string> = { fixed: 'f', sliding: 's', counter: 'c', gcra: 'g' };

/** Braces would end the hash tag early; percent-encode them (and `%`) in ids. */
function safe(id: string): string {
  return /[{}%]/.test(id) ? id.replace(/[{}%]/g, (c) => '%' + c.charCodeAt(0).toString(16)) : id;
}

/** The hash tag of a request: its tenant, or its ip when it has none. */
export function hashTag(tenantId: string | null, ip: string | null | undefined): string {
  return tenantId !== null ? `{t:${safe(tenantId)}}` : `{ip:${safe(ip ?? 'unknown')}}`;
}

/** The key part after the tag that names the limiter and its scope kind, e.g. `:rl:s:default:k:`. */
export function limiterKeyPart(kind: LimiterKind, name: string, scope: PolicyScope): string {
  const scopePart = scope === 'api_key' ? ':k:' : scope === 'ip' ? ':ip:' : ':t';
  return `:rl:${KIND_LETTER[kind]}:${safe(name)}${scopePart}`;
}

/** The scope id appended to {@link limiterKeyPart}: key id, ip, or nothing for tenant scope. */
export function scopeId(scope: PolicyScope, tenantId: string | null, apiKeyId: string | null | undefined, ip: string | null | undefined): string {
  if (scope === 'tenant') return '';
  if (scope === 'ip') return safe(ip ?? 'unknown');
  // api_key scope without a key (dashboard session): counted per tenant.
  return apiKeyId ? safe(apiKeyId) : `-${safe(tenantId ?? ip ?? 'unknown')}`;
}

/** A metering period: the calendar month (UTC) `id` (`YYYY-MM`) from `start` to `end` (ms, exclusive). */
export interface MonthSpan {
  id: string;
  start: number;
  end: number;
}

let cached: MonthSpan = { id: '', start: 0, end: 0 };

/** The calendar month (UTC) of `nowMs`: `YYYY-MM`, its start and end (ms); cached for speed. */
export function monthOf(nowMs: number): MonthSpan {
  if (nowMs >= cached.start && nowMs < cached.end) return cached;
  const d = new Date(nowMs);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const span: MonthSpan = {
    id: `${y}-${String(m + 1).padStart(2, '0')}`,
    start: Date.UTC(y, m, 1),
    end: Date.UTC(y, m + 1, 1),
  };
  cached = span;
  return span;
}

/** The usage keys of the month last asked for, by tenant (every request of a month asks for the same one). */
let usageKeys = { month: '', byTenant: new Map<string, string>() };

/** Usage hash key (meter → count) of the tenant's month containing `nowMs`. */
export function usageKey(tenantId: string, nowMs: number): string {
  const month = monthOf(nowMs).id;
  if (usageKeys.month !== month || usageKeys.byTenant.size >= 10_000) usageKeys = { month, byTenant: new Map() };
  let key = usageKeys.byTenant.get(tenantId);
  if (key === undefined) usageKeys.byTenant.set(tenantId, (key = `${hashTag(tenantId, null)}:use:${month}`));
  return key;
}

/** Usage hashes outlive their month by this much, so last month can still be read. */
export const USAGE_RETENTION_MS = 40 * 24 * 3600 * 1000;
