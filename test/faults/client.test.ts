/**
 * Faults (issue 7): the client's ingest batcher loses and duplicates nothing when the server
 * fails under it. Injected 500s and connection resets alone (`chaos`) are covered against the
 * real mock by test/client/mock.test.ts ("delivers every trace exactly once while the mock
 * injects 500s and resets"); this file adds a real outage on top: the mock's redis-server is
 * killed mid-ingest with `failMode: closed`, so every batch meets a burst of 503
 * `service_unavailable` with `Retry-After` as well as chaos, and redis-server comes back later.
 * Chaos cuts a request before the mock stores anything; the duplicate risk is the other cut,
 * after the batch was stored, so the client's fetch here also loses some successful answers.
 * The proof is the mock's own state: exactly the ids sent, each stored once. The mock's state
 * lives in that Redis, so it runs with persistence (AOF) like a production one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRedisServer, startRedisServer, type RedisServer } from '../../bench/lib/redis-server.js';
import { createClient } from '../../src/client/index.js';
import { createMock, type MockServer } from '../../src/mock/index.js';
import { requireBinary } from '../support/requires.js';
import { sleep, until } from '../support/wait.js';

const KEY = 'tl_test_enterprise_00000000000000000001';
const TENANT = 'ten_enterpriseco';
const TICKS = 30;
const PER_TICK = 10;
const TICK_MS = 70;
const N = TICKS * PER_TICK;

interface State {
  tenants: { id: string; traces: number }[];
}

/** mulberry32: a seeded source, so a failing run can be replayed. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('client ingest through a redis-server outage (fail-closed 503s) with 30% chaos', () => {
  if (!requireBinary(findRedisServer(), 'redis-server', 'apt-get install -y redis-server')) return;
  let redis: RedisServer;
  let mock: MockServer;
  beforeAll(async () => {
    // With the state in Redis (issue 12), what was stored before the kill must still be there after
    // the restart: the server persists (AOF, fsync always), as a production Redis would.
    redis = await startRedisServer(undefined, { persist: true });
    mock = await createMock({
      port: 0,
      log: false,
      env: {},
      redisUrl: redis.url,
      failMode: 'closed',
      chaos: 0.3,
      policies: ['default=1000000/60s', 'reads=1000000/1s'],
    });
  });
  afterAll(async () => {
    await mock?.close();
    await redis?.dispose();
  });

  it('stores exactly the traces sent, each once, and the batcher accounts for every one', async () => {
    const stateOf = async () => {
      const res = await fetch(`${mock.url}/__mock/state`);
      if (res.status !== 200) throw new Error(`GET /__mock/state answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as State).tenants.find((t) => t.id === TENANT)!;
    };
    // The drill starts once the mock serves its state from Redis. createMock waits at most 2 s for
    // Redis; on a loaded machine it may start before and answer 503 until connected (failed once
    // in a full fresh-clone run).
    let before = -1;
    const readBefore = async () => {
      try {
        before = (await stateOf()).traces;
        return true;
      } catch {
        return false;
      }
    };
    await until(readBefore, 30_000, 'the mock did not serve its state from Redis');
    const seen = { ok: 0, s500: 0, s503: 0, resets: 0, lostAfterStore: 0, other: [] as string[] };
    const random = seeded(7);
    const client = createClient({
      apiKey: KEY,
      baseUrl: mock.url,
      backoff: { baseMs: 20, maxMs: 200 },
      batch: { maxItems: 10, concurrency: 4, flushIntervalMs: 200 },
      fetch: async (request) => {
        try {
          const res = await fetch(request);
          if (res.ok && request.method === 'POST' && random() < 0.2) {
            // The batch is stored, but its answer never arrives (a reset on the way back).
            seen.lostAfterStore++;
            await res.arrayBuffer();
            throw new TypeError('fetch failed (answer lost after the batch was stored)');
          }
          if (res.status < 300) seen.ok++;
          else if (res.status === 500) seen.s500++;
          else if (res.status === 503) seen.s503++;
          else seen.other.push(String(res.status));
          return res;
        } catch (err) {
          seen.resets++;
          throw err;
        }
      },
    });

    const sent: string[] = [];
    for (let tick = 0; tick < TICKS; tick++) {
      if (tick === 6) await redis.stop(); // ~0.4 s in
      if (tick === 24) await redis.start(); // down for ~1.3 s
      for (let i = 0; i < PER_TICK; i++) {
        const id = `tr_fc${(tick * PER_TICK + i).toString(16).padStart(14, '0')}`;
        sent.push(id);
        client.ingest({ trace_id: id, name: 'fault drill', start_time: '2026-03-03T12:00:00Z', status: 'ok', spans: [] });
      }
      await sleep(TICK_MS);
    }
    // shutdown() rejects when a batch still fails after the client's retries; its traces stay
    // queued, so flushing again (bounded) is what a caller does.
    let flushes = 0;
    for (let ok = false; !ok && flushes < 10; flushes++) {
      ok = await (flushes === 0 ? client.shutdown() : client.flush()).then(
        () => true,
        () => false,
      );
    }
    expect(client.stats()).toMatchObject({ queued: 0, inFlight: 0, rejected: 0, dropped: 0 });
    expect(client.stats().accepted + client.stats().duplicates).toBe(N);

    // The mock's state: N more traces, and exactly the ids sent (read back through the same chaos).
    expect((await stateOf()).traces - before).toBe(N);
    const stored: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const { data, error } = await client.GET('/v1/traces', { params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } } });
      expect(error).toBeUndefined();
      stored.push(...data!.data.map((t) => t.id).filter((id) => id.startsWith('tr_fc')));
      cursor = data!.next_cursor ?? undefined;
      if (!cursor) break;
    }
    expect(stored.length).toBe(N);
    expect([...stored].sort()).toEqual([...sent].sort());

    // The faults really happened: 503 bursts from the outage, and chaos 500s and resets.
    expect(seen.s503).toBeGreaterThan(0);
    expect(seen.s500 + seen.resets).toBeGreaterThan(0);
    expect(seen.lostAfterStore).toBeGreaterThan(0);
    expect(seen.other).toEqual([]);
  });
});
