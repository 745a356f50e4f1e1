/**
 * The mock clock (`POST /__mock/clock`): real time plus an offset, or frozen. Its state lives in
 * the {@link StateStore}; with a shared store each request reads it first ({@link MockClock.refresh}),
 * so an advance through one instance applies to the next request on every instance.
 * @module
 */
import type { Clock } from '../policy/index.js';
import type { ClockState, StateStore } from './store/index.js';

/** Largest single advance accepted by the control API: one leap year. */
export const MAX_ADVANCE_SECONDS = 366 * 86400;

/** The clock every stage of one instance reads; `now()` is synchronous, from the last refresh. */
export class MockClock implements Clock {
  private state: ClockState = { offsetMs: 0, frozenAt: null };

  /** `shared`: other instances may change the clock, so {@link refresh} reads the store (else it has nothing to do). `real`: the time it runs on. */
  constructor(
    private readonly store: StateStore,
    readonly shared: boolean,
    private readonly real: () => number = Date.now,
  ) {}

  now(): number {
    return (this.state.frozenAt ?? this.real()) + this.state.offsetMs;
  }

  get frozen(): boolean {
    return this.state.frozenAt !== null;
  }

  /** Reads the clock from a shared store (a no-op on memory); on a store fault the last reading stands. */
  async refresh(): Promise<void> {
    if (!this.shared) return;
    try {
      this.state = await this.store.clock();
    } catch {
      // The request goes on with the last known clock; the stages that need the store report its fault.
    }
  }

  /** Moves time forward by `seconds` and/or freezes (true) or thaws (false) it; atomic on the store. */
  async set(change: { advanceSeconds?: number; freeze?: boolean }): Promise<void> {
    this.state = await this.store.updateClock((c) => {
      let { offsetMs, frozenAt } = c;
      const real = this.real();
      if (change.freeze === true && frozenAt === null) frozenAt = real;
      if (change.freeze === false && frozenAt !== null) {
        offsetMs += frozenAt - real;
        frozenAt = null;
      }
      return { offsetMs: offsetMs + (change.advanceSeconds ?? 0) * 1000, frozenAt };
    });
  }

  /** Back to real time, running. */
  async reset(): Promise<void> {
    this.state = await this.store.updateClock(() => ({ offsetMs: 0, frozenAt: null }));
  }
}
