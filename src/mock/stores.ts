/**
 * The mock's two stores, opened once from the normalised options: policy counters and usage
 * (`PolicyStore`), and the state (`StateStore`). Memory by default; with `--redis` or
 * `--redis-cluster` both live in Redis, and the state store is the only copy of the state.
 * @module
 */
import { MemoryStore, type PolicyStore } from '../policy/index.js';
import { RedisStore } from '../policy/redis.js';
import type { MockConfig } from './options.js';
import { guarded, MemoryStateStore, RedisStateStore, type StateStore } from './store/index.js';

export interface MockStores {
  policy: PolicyStore;
  /** Store faults reject with StoreUnavailableError (503 on the request path). */
  state: StateStore;
  /** Other instances may share the state (Redis): the clock is read per request. */
  shared: boolean;
  /** Waits (bounded) for Redis so the mock starts enforcing rather than degraded. */
  ready(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Opens the stores the options name. */
export function openStores(config: MockConfig): MockStores {
  const b = config.backend;
  if (b.kind === 'memory') {
    const policy = new MemoryStore();
    const state = new MemoryStateStore();
    return { policy, state, shared: false, ready: async () => undefined, close: async () => void (await Promise.all([policy.close(), state.close()])) };
  }
  const connection = b.kind === 'cluster' ? { cluster: b.nodes } : { url: b.url };
  const policy = new RedisStore(connection);
  const state = new RedisStateStore(connection);
  return {
    policy,
    state: guarded(state),
    shared: true,
    ready: async (timeoutMs) => void (await Promise.all([policy.ready(timeoutMs), state.ready(timeoutMs)])),
    close: async () => void (await Promise.all([policy.close(), state.close()])),
  };
}
