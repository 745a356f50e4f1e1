/**
 * `traceloom/policy/redis`: the Redis store for the policy engine, on a subpath of its own so that
 * `traceloom/policy` (the pure engine) keeps ioredis and every Node-only API out of its import graph.
 * @module
 */
export { RedisStore, type RedisStoreOptions } from './redis-store.js';
export { createRedisClient, parseClusterNodes, type RedisClient, type RedisConnection } from './redis-client.js';
