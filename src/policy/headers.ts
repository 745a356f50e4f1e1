/**
 * Rate-limit response headers rendered from a Decision (DESIGN §3.4): the IETF structured
 * fields, the legacy `X-RateLimit-*` set and `Retry-After`, all from the same numbers as the
 * problem body, so they cannot disagree.
 * @module
 */
import { oneByte } from '../portable/index.js';
import { secondsUntil } from './decide.js';
import type { Decision, PolicyState } from './types.js';

/** The per-policy parts of the headers: they depend only on a policy's name, quota and window. */
interface PolicyText {
  limit: number;
  windowSeconds: number;
  /** The sf-string of the name (RFC 8941 §3.3.3), `"default"`. */
  sf: string;
  /** Its `RateLimit-Policy` item, `"default";q=60;w=60`. */
  item: string;
  /** Its `X-RateLimit-Policy` value, `60;w=60`. */
  legacy: string;
}

const texts = new Map<string, PolicyText>();

/** The per-policy header parts, memoised by name (a contract names few policies; a changed quota or window makes them anew). */
function textOf(s: PolicyState): PolicyText {
  let t = texts.get(s.name);
  if (t === undefined || t.limit !== s.limit || t.windowSeconds !== s.windowSeconds) {
    // One-byte (see oneByte): a name read from the YAML contract may be two-byte, and every answer carries these.
    const sf = oneByte(`"${s.name.replace(/[\\"]/g, (c) => '\\' + c)}"`);
    t = {
      limit: s.limit,
      windowSeconds: s.windowSeconds,
      sf,
      item: `${sf};q=${s.limit};w=${s.windowSeconds}`, // one-byte: made of one-byte parts
      legacy: `${s.limit};w=${s.windowSeconds}`,
    };
    if (texts.size >= 1024) texts.clear();
    texts.set(s.name, t);
  }
  return t;
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
 * Names are canonical case; Node's `setHeader` is case-insensitive. They are written into
 * `headers` (a new map without one), which is returned.
 */
export function rateLimitHeaders<H extends Record<string, unknown> = Record<string, string>>(
  decision: Decision,
  nowMs: number = decision.now,
  headers: H = {} as H,
): H {
  const h = headers as Record<string, unknown>;
  const states = decision.perPolicy;
  if (states.length > 0) {
    let policy = '';
    let current = '';
    for (let i = 0; i < states.length; i++) {
      const s = states[i]!;
      const t = textOf(s);
      const sep = i === 0 ? '' : ', ';
      policy += sep + t.item;
      current += `${sep}${t.sf};r=${s.remaining};t=${secondsUntil(s.resetAt, nowMs)}`;
    }
    h['RateLimit-Policy'] = policy;
    h['RateLimit'] = current;
    const m = mostRestrictive(states)!;
    h['X-RateLimit-Limit'] = String(m.limit);
    h['X-RateLimit-Remaining'] = String(m.remaining);
    h['X-RateLimit-Reset'] = String(Math.ceil(m.resetAt / 1000));
    h['X-RateLimit-Policy'] = textOf(m).legacy;
  }
  if (decision.retryAfter !== null && (decision.status === 429 || decision.status === 503)) {
    h['Retry-After'] = String(decision.retryAfter);
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
