/**
 * The times our own requests of one policy were answered, ascending — the pacing gate's mirror of
 * the server's window. A request answered at `a` was counted by the server no later than `a`, so
 * from `a + window` on it is out of every window a request sent then can meet. That frees quota
 * one request at a time, at the moment the server frees it (up to one round trip), where the
 * server's `t` (whole seconds, rounded up) only says when the next unit frees.
 * @module
 */

/** Answer times (epoch ms), ascending; entries older than the caller's horizon are dropped. */
export class OwnLog {
  #times: number[] = [];
  #head = 0;

  /** Records an answer at `at` (never before the newest entry, so the log stays sorted). */
  add(at: number): void {
    const newest = this.#times[this.#times.length - 1];
    this.#times.push(newest !== undefined && newest > at ? newest : at);
  }

  /** Forgets answers at or before `edge`. */
  prune(edge: number): void {
    while (this.#head < this.#times.length && this.#times[this.#head]! <= edge) this.#head++;
    if (this.#head > 64 && this.#head * 2 > this.#times.length) {
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
  }

  /** How many answers came after `edge`. */
  countAfter(edge: number): number {
    return this.#times.length - this.#firstAfter(edge);
  }

  /** The `k`-th (from 0) answer after `edge`, if there are that many. */
  nthAfter(edge: number, k: number): number | undefined {
    return this.#times[this.#firstAfter(edge) + k];
  }

  #firstAfter(edge: number): number {
    let lo = this.#head;
    let hi = this.#times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#times[mid]! <= edge) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
