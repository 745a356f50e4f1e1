/**
 * The mock's state stores: one interface, memory and Redis (standalone or Cluster) backends.
 * @module
 */
export * from './types.js';
export { MemoryStateStore } from './memory.js';
export { RedisStateStore, type RedisStateStoreOptions } from './redis.js';
export { guarded } from './guard.js';
