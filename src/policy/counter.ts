/**
 * The sliding-window counter (`algorithm: sliding-window-counter`): two aligned window counters,
 * the previous one weighted by how much of it the sliding window still overlaps. O(1) state per
 * key (a window start and two counts: the size of a fixed window's state), where the exact log
 * (`sliding-window`) stores one stamp per admitted request.
 *
 * With W the window (ms), L the limit, `cur` the count of the current aligned window (started at
 * `start`), `prev` the count of the one before and `e` the time elapsed in the current one, a
 * request is admitted iff
 *
 *     (cur + 1)·W + prev·(W − e) ≤ L·W        (integers: no rounding, same answer in Lua)
 *
 * Error bound (the guarantee the contract gets; tested by the store suite on every store):
 * - every aligned window holds at most L admissions (never more than a fixed window);
 * - any window of length W holds at most 2L − 1, i.e. fewer than L × (1 + SLIDING_COUNTER_ERROR_BOUND).
 *   Only reached when the previous window's admissions sit at its very end; when they were evenly
 *   spread over it, any window holds at most L (the weighting is then exact). A fixed window's
 *   worst case is 2L; the exact log's is L.
 * Mirrored step for step by the `c` branch of the Redis script.
 * @module
 */

/** Worst-case over-admission of a sliding-window counter, as a fraction of the limit: < L × (1 + 1) in any window. */
export const SLIDING_COUNTER_ERROR_BOUND = 1;

/** Whether `k` more requests fit now (`e` ms into the current window). */
export function counterFits(limit: number, windowMs: number, cur: number, prev: number, elapsed: number, k: number): boolean {
  return (cur + k) * windowMs + prev * (windowMs - elapsed) <= limit * windowMs;
}

/** How many more requests would be admitted right now (0 … limit). */
export function counterRemaining(limit: number, windowMs: number, cur: number, prev: number, elapsed: number): number {
  const r = Math.floor((limit * windowMs - prev * (windowMs - elapsed)) / windowMs) - cur;
  return r < 0 ? 0 : r > limit ? limit : r;
}

/**
 * The first moment (ms) at or after `t` at which `k` more requests would fit, if nothing else
 * is admitted meanwhile: later in the current window as `prev` decays, in the next window (where
 * `cur` becomes the weighted one), or at the start of the one after (where both are gone).
 * Integer arithmetic: with integer times the answer is exact to the millisecond.
 */
export function counterFreeAt(limit: number, windowMs: number, start: number, t: number, cur: number, prev: number, k: number): number {
  if (cur + k <= limit) {
    if (prev === 0) return t;
    const e = windowMs - Math.floor(((limit - cur - k) * windowMs) / prev);
    if (e < windowMs) return Math.max(t, start + e);
  }
  if (k <= limit) {
    if (cur === 0) return start + windowMs;
    const e = windowMs - Math.floor(((limit - k) * windowMs) / cur);
    if (e < windowMs) return start + windowMs + Math.max(0, e);
  }
  return start + 2 * windowMs;
}
