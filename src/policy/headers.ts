/**
 * Rate-limit response headers rendered from a Decision (DESIGN §3.4): the IETF structured
 * fields, the legacy `X-RateLimit-*` set and `Retry-After`, all from the same numbers as the
 * problem body, so they cannot disagree.
 * @module
 */
import { secondsUntil } from './decide.js';
import type { Decision, PolicyState } from './types.js';

const sfStrings = new Map<string, string>();

/** An sf-string (RFC 8941 §3.3.3) for a policy name (memoised: a contract names few policies, and every answer renders them). */
function sfString(name: string): string {
  let sf = sfStrings.get(name);
  if (sf === undefined) {
    sf = `"${name.replace(/[\\"]/g, (c) => '\\' + c)}"`;
    if (sfStrings.size >= 1024) sfStrings.clear();
    sfStrings.set(name, sf);
  }
  return sf;
}

/** The most restrictive limiter: least remaining, then latest reset (first wins a full tie). */
export function mostRestrictive(states: readonly PolicyState[]): PolicyState | null {
  let best: PolicyState | null = null;
  for (const s of states) {
    if (best === null || s.remaining < best.remaining || (s.remaining === best.remaining && s.resetAt > best.resetAt)) best = s;
  }
  return best;
}

/**
 * Headers for a response of the decided request:
 * - `RateLimit-Policy: "default";q=60;w=60, "default.burst";q=20;w=10` and
 *   `RateLimit: "default";r=59;t=1, …`, one item per limiter that applies
 *   (draft-ietf-httpapi-ratelimit-headers-11 §3 and §4); `t` = whole seconds until more quota
 *   (for a refused limiter: until it admits again), rounded up;
 * - `X-RateLimit-Limit/Remaining/Reset` (epoch seconds, rounded up)/`Policy` (`60;w=60`) for the
 *   most restrictive limiter: on a 429 that is the violated one the body's `limit`,
 *   `window_seconds` and `reset_at` describe;
 * - `Retry-After` (delay-seconds, RFC 9110 §10.2.3) on 429 and 503, equal to the body's
 *   `retry_after_seconds`.
 * An operation without limiters (or a fail-open decision) gets no rate-limit fields.
 * Names are canonical case; Node's `setHeader` is case-insensitive.
 */
export function rateLimitHeaders(decision: Decision, nowMs: number = decision.now): Record<string, string> {
  const headers: Record<string, string> = {};
  const states = decision.perPolicy;
  if (states.length > 0) {
    headers['RateLimit-Policy'] = states.map((s) => `${sfString(s.name)};q=${s.limit};w=${s.windowSeconds}`).join(', ');
    headers['RateLimit'] = states.map((s) => `${sfString(s.name)};r=${s.remaining};t=${secondsUntil(s.resetAt, nowMs)}`).join(', ');
    const m = mostRestrictive(states)!;
    headers['X-RateLimit-Limit'] = String(m.limit);
    headers['X-RateLimit-Remaining'] = String(m.remaining);
    headers['X-RateLimit-Reset'] = String(Math.ceil(m.resetAt / 1000));
    headers['X-RateLimit-Policy'] = `${m.limit};w=${m.windowSeconds}`;
  }
  if (decision.retryAfter !== null && (decision.status === 429 || decision.status === 503)) {
    headers['Retry-After'] = String(decision.retryAfter);
  }
  return headers;
}

/** Every header name {@link rateLimitHeaders} may set (for `Access-Control-Expose-Headers`). */
export const RATE_LIMIT_HEADER_NAMES: readonly string[] = [
  'RateLimit-Policy',
  'RateLimit',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'X-RateLimit-Policy',
  'Retry-After',
];
