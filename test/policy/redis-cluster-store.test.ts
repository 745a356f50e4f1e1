/**
 * RedisStore on a real three-master Redis Cluster (redis-server processes this file starts): the
 * shared store suite again, and the batching rule only a Cluster can break, that decisions of
 * many tenants asked for at once go out in one batch per hash tag, never one across slots.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRedisServer } from '../../bench/lib/redis-server.js';
import { findRedisCli, startRedisCluster, type RedisCluster } from '../../bench/lib/redis-cluster.js';
import { decide, type Decision } from '../../src/policy/index.js';
import { RedisStore } from '../../src/policy/redis.js';
import { requireBinary } from '../support/requires.js';
import { buildModel, decidedInSequence, facts, freshTenant, testClock } from './fixtures.js';
import { storeSuite } from './store-suite.js';

describe('RedisStore on a three-master Redis Cluster', () => {
  if (!requireBinary(findRedisServer(), 'redis-server', 'apt-get install -y redis-server')) return;
  if (!requireBinary(findRedisCli(), 'redis-cli', 'apt-get install -y redis-server')) return;
  let cluster: RedisCluster;
  const opened: RedisStore[] = [];
  const open = async () => {
    const store = new RedisStore({ cluster: cluster.seeds, commandTimeoutMs: 10_000, maxReconnectDelayMs: 100 });
    opened.push(store);
    expect(await store.ready(10_000)).toBe(true);
    return store;
  };

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()));
    await cluster?.dispose();
  });

  storeSuite('RedisStore (Cluster)', async () => ({ open, close: async () => {} }));

  it('answers 120 decisions of 12 tenants (slots on every master) asked for at once as each would be answered alone', async () => {
    const store = await open();
    const model = buildModel();
    const clock = testClock();
    const tenants = Array.from({ length: 12 }, () => freshTenant('cl'));
    const all = Array.from({ length: 120 }, (_, i) => facts(model, 'ingestTrace', { tenantId: tenants[i % 12]!, plan: 'free', meters: { traces: 1 } }));
    const together: Decision[] = await Promise.all(all.map((f) => decide(f, model, store, clock)));
    expect(together.filter((d) => d.degraded)).toEqual([]); // a batch across slots would fail (CROSSSLOT) and degrade
    expect(together).toEqual(await decidedInSequence(all, model, clock));
  });
});
