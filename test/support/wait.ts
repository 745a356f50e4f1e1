/**
 * Waiting in tests by condition, never by a race of wall clocks: a bounded poll whose failure says
 * what never happened.
 */

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits (bounded) until `condition` holds (it may ask over the network); the message says what never happened. */
export async function until(condition: () => boolean | Promise<boolean>, limitMs: number, what: string): Promise<void> {
  const t0 = performance.now();
  while (!(await condition())) {
    if (performance.now() - t0 > limitMs) throw new Error(`${what} within ${limitMs} ms`);
    await sleep(20);
  }
}
