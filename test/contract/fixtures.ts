/** Shared helpers for contract tests: one bundle per test process. */
import { loadContract, type LoadedContract } from '../../src/contract/index.js';

let cached: Promise<LoadedContract> | undefined;

/** The real contract, bundled and read once. */
export function contract(): Promise<LoadedContract> {
  cached ??= loadContract();
  return cached;
}

/** A deep copy, safe to mutate. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}
