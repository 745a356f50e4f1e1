/**
 * Deadlines: RedisStore's one-timer command timeout, on fake timers (no wall-clock races).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Deadlines } from '../../src/policy/deadlines.js';

const never = () => new Promise<never>(() => {});

describe('Deadlines', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fails a command still pending after the timeout, never before it, and at most a quarter late', async () => {
    const deadlines = new Deadlines(1000);
    const outcome = deadlines.watch(never()).then(
      () => 'resolved',
      (err: Error) => err.message,
    );
    let settled: string | null = null;
    void outcome.then((o) => (settled = o));
    await vi.advanceTimersByTimeAsync(999);
    expect(settled).toBeNull();
    await vi.advanceTimersByTimeAsync(251);
    expect(settled).toBe('Redis command timed out after 1000 ms');
  });

  it('passes answers and errors through, and stops its timer once nothing is pending', async () => {
    const deadlines = new Deadlines(1000);
    await expect(deadlines.watch(Promise.resolve(42))).resolves.toBe(42);
    await expect(deadlines.watch(Promise.reject(new Error('NOSCRIPT')))).rejects.toThrow('NOSCRIPT');
    await vi.advanceTimersByTimeAsync(250);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fails only the overdue commands: a later one still in time keeps waiting for its answer', async () => {
    const deadlines = new Deadlines(1000);
    const early = deadlines.watch(never()).catch((err: Error) => err.message);
    await vi.advanceTimersByTimeAsync(600);
    let answer!: (v: string) => void;
    const late = deadlines.watch(new Promise<string>((resolve) => (answer = resolve)));
    await vi.advanceTimersByTimeAsync(650); // early is overdue, late has 950 ms to go
    expect(await early).toMatch(/timed out/);
    answer('OK');
    expect(await late).toBe('OK');
  });
});
