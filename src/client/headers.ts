/**
 * Reading the rate-limit headers of a response (DESIGN §3.4): the IETF structured fields
 * (draft-ietf-httpapi-ratelimit-headers-11) first, the legacy `X-RateLimit-*` family second.
 * @module
 */

/** One item of the `RateLimit` field: a policy, its remaining quota and seconds until reset. */
export interface RateLimitItem {
  policy: string;
  remaining: number;
  resetSeconds: number;
}

/**
 * Parses `RateLimit: "default";r=847;t=32, "reads";r=5;t=1` (draft-11 §4: a List of Items whose
 * value is the policy name, with `r` remaining and `t` seconds to reset). Items without both
 * parameters are skipped; a field that is not a list yields no items.
 */
export function parseRateLimit(value: string | null): RateLimitItem[] {
  if (!value) return [];
  const items: RateLimitItem[] = [];
  for (const member of splitList(value)) {
    const { policy, params: p } = splitItem(member);
    const r = Number(p.get('r'));
    const t = Number(p.get('t'));
    if (!policy || !/^\d+$/.test(p.get('r') ?? '') || !/^\d+$/.test(p.get('t') ?? '') || !Number.isFinite(r + t)) continue;
    items.push({ policy, remaining: r, resetSeconds: t });
  }
  return items;
}

/** One item of the `RateLimit-Policy` field: a policy, its quota and its window in seconds. */
export interface RateLimitPolicyItem {
  policy: string;
  quota: number;
  windowSeconds: number;
}

/**
 * Parses `RateLimit-Policy: "default";q=20;w=2, "default.burst";q=40;w=10` (draft-11 §3: `q`
 * quota units, `w` window in seconds). Items without both parameters are skipped.
 */
export function parseRateLimitPolicy(value: string | null): RateLimitPolicyItem[] {
  if (!value) return [];
  const items: RateLimitPolicyItem[] = [];
  for (const member of splitList(value)) {
    const { policy, params } = splitItem(member);
    const q = params.get('q') ?? '';
    const w = params.get('w') ?? '';
    if (!policy || !/^\d+$/.test(q) || !/^\d+$/.test(w) || Number(q) < 1 || Number(w) < 1) continue;
    items.push({ policy, quota: Number(q), windowSeconds: Number(w) });
  }
  return items;
}

/** `"name";a=1;b=2` → the name (unquoted) and its parameters. */
function splitItem(member: string): { policy: string; params: Map<string, string> } {
  const [head = '', ...params] = splitOutsideQuotes(member, ';').map((s) => s.trim());
  const policy = head.startsWith('"') ? head.slice(1, -1).replace(/\\(["\\])/g, '$1') : head;
  return { policy, params: new Map(params.map((kv) => [kv.split('=')[0]!.trim(), kv.split('=')[1]?.trim() ?? ''])) };
}

function splitList(value: string): string[] {
  return splitOutsideQuotes(value, ',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function splitOutsideQuotes(value: string, separator: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '\\' && quoted) {
      current += ch + (value[++i] ?? '');
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === separator && !quoted) {
      out.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  out.push(current);
  return out;
}

/** The legacy family: remaining requests, reset as epoch milliseconds, window in seconds. */
export interface LegacyRateLimit {
  remaining: number;
  resetAtMs: number | null;
  windowSeconds: number | null;
}

/** Reads `X-RateLimit-Remaining`, `X-RateLimit-Reset` (epoch seconds) and `X-RateLimit-Policy` (`1000;w=60`). */
export function parseLegacyRateLimit(headers: Headers): LegacyRateLimit | null {
  const remaining = headers.get('x-ratelimit-remaining')?.trim();
  if (!remaining || !/^\d+$/.test(remaining)) return null;
  const reset = headers.get('x-ratelimit-reset')?.trim();
  const window = /;\s*w=(\d+)/.exec(headers.get('x-ratelimit-policy') ?? '')?.[1];
  return {
    remaining: Number(remaining),
    resetAtMs: reset && /^\d+$/.test(reset) ? Number(reset) * 1000 : null,
    windowSeconds: window ? Number(window) : null,
  };
}
