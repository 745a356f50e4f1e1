/**
 * Two refusals rendered in one place for every caller: the "retry in N s" 503 of a store fault
 * (policy stage, mock state, usage, control API) and a forced 429 (`Prefer: code=429` on the
 * mock) that agrees with its own headers.
 * @module
 */
import { rateLimitHeaders } from './headers.js';
import type { Decision, ProblemMembers } from './types.js';

/** A refusal ready for `sendProblem`: registry code, members, extra headers. */
export interface Refusal {
  code: string;
  members: ProblemMembers;
  headers: Record<string, string>;
}

/** Thrown by a store adapter when the store cannot be reached; the pipeline answers {@link unavailable}. */
export class StoreUnavailableError extends Error {
  constructor(
    readonly store: string,
    cause?: unknown,
  ) {
    super(`${store} is unavailable${cause instanceof Error ? ` (${cause.message})` : ''}`, { cause });
  }
}

/** 503 `service_unavailable` with `Retry-After`: `what` is unavailable; the cause stays out of the body. */
export function unavailable(what: string, retryAfterSeconds = 1): Refusal {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return {
    code: 'service_unavailable',
    members: { detail: `${what} is unavailable; retry in ${seconds} s.`, retry_after_seconds: seconds },
    headers: { 'Retry-After': String(seconds) },
  };
}

/**
 * A forced `rate_limited` refusal (the mock's `Prefer: code=429`) from the decision that admitted
 * the request: the first policy is reported spent until its reset, so body, `RateLimit` and
 * `Retry-After` agree.
 */
export function forcedRateLimit(decision: Decision, now: number): Refusal | null {
  const first = decision.perPolicy[0];
  if (!first) return null;
  const retry = Math.max(1, Math.ceil((first.resetAt - now) / 1000));
  const spent: Decision = {
    ...decision,
    allowed: false,
    perPolicy: [{ ...first, remaining: 0, resetAt: now + retry * 1000 }, ...decision.perPolicy.slice(1)],
    retryAfter: retry,
    violated: [first.name],
  };
  return {
    code: 'rate_limited',
    members: {
      detail: `${first.limit} requests per ${first.windowSeconds} s allowed by policy ${first.name}; retry in ${retry} s (forced by Prefer).`,
      retry_after_seconds: retry,
      limit: first.limit,
      window_seconds: first.windowSeconds,
      reset_at: new Date(now + retry * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      violated_policies: [first.name],
    },
    headers: { ...rateLimitHeaders(spent, now), 'Retry-After': String(retry) },
  };
}
