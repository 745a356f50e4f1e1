/**
 * RedisStore against a real redis-server on a free loopback port: the shared store suite, then
 * what only a networked store can get wrong (one round trip, hash tags, outages).
 * Without the binary the suite is skipped loudly; under CI (process.env.CI) it fails instead.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRedisServer, startRedisServer, type RedisServer } from '../../bench/lib/redis-server.js';
import { decide, rateLimitHeaders } from '../../src/policy/index.js';
import { RedisStore, type RedisStoreOptions } from '../../src/policy/redis.js';
import { buildModel, decidedInSequence, facts, freshTenant, testClock } from './fixtures.js';
import { storeSuite } from './store-suite.js';

const binary = findRedisServer();

if (!binary) {
  const message = 'redis-server not found on PATH: the Redis store suite did NOT run (Debian: apt-get install -y redis-server)';
  if (process.env['CI']) {
    it('has redis-server installed (required under CI)', () => {
      throw new Error(message);
    });
  } else {
    console.warn(`\n⚠️  SKIPPED: ${message}\n`);
    it.skip(`RedisStore suites (${message})`, () => {});
  }
} else {
  let server: RedisServer;
  const opened: RedisStore[] = [];
  /**
   * A short reconnect delay so outage tests take milliseconds, not seconds. The command timeout
   * stays long enough for a loaded machine (thousands of decisions at once must not time out
   * into fail-open answers); outage tests that measure it set their own.
   */
  const open = async (options: RedisStoreOptions = {}) => {
    const store = new RedisStore({ url: server.url, commandTimeoutMs: 10_000, maxReconnectDelayMs: 100, ...options });
    opened.push(store);
    await store.ready();
    return store;
  };

  beforeAll(async () => {
    server = await startRedisServer(binary);
  });
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()));
    await server?.dispose();
  });

  storeSuite('RedisStore', async () => ({ open: () => open(), close: async () => {} }));

  describe('RedisStore on the wire', () => {
    const model = buildModel();

    /** Commands `store` sends while `run` runs (MONITOR on another connection), script-internal ones left out. */
    const commandsDuring = async (store: RedisStore, run: () => Promise<unknown>): Promise<string[]> => {
      const admin = await open();
      const monitor = await (admin.client as Redis).monitor();
      const seen: string[] = [];
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (source !== 'lua') seen.push(args[0]!.toLowerCase());
      });
      await run();
      await store.client.ping(); // a marker: once MONITOR shows it, it has shown everything before it
      await expect.poll(() => seen.at(-1)).toBe('ping');
      monitor.disconnect();
      return seen.slice(0, -1);
    };

    it('sends the decisions asked for in one tick together (70 in ⌈70/16⌉ EVALSHAs), each answered as it would be alone, in the order asked', async () => {
      const store = await open({ batch: 16 });
      const clock = testClock();
      const tenants = [freshTenant('batch'), freshTenant('batch')];
      // 35 per tenant on the free plan, every third a plan-gated read (402: its limiter state is read
      // without consuming), the rest ingests, of which the burst (20 at once) refuses the last few
      const all = Array.from({ length: 70 }, (_, i) =>
        facts(model, i % 3 === 2 ? 'listAuditEvents' : 'ingestTrace', { tenantId: tenants[i % 2]!, plan: 'free', meters: { traces: 1 } }),
      );
      await decide(facts(model, 'ingestTrace', { tenantId: freshTenant('warm') }), model, store, clock); // loads the script
      let together: Awaited<ReturnType<typeof decide>>[] = [];
      const sent = await commandsDuring(store, async () => {
        together = await Promise.all(all.map((f) => decide(f, model, store, clock)));
      });
      expect(sent).toEqual(Array.from({ length: 5 }, () => 'evalsha'));
      expect(together).toEqual(await decidedInSequence(all, model, clock));
      expect(new Set(together.map((d) => d.status))).toEqual(new Set([200, 402, 429]));
    });

    it('answers the rest of a batch when one decision fails in the script (its key holds another type): that one follows failMode', async () => {
      const store = await open({ batch: 16 });
      const clock = testClock();
      const bad = facts(model, 'ingestTrace', { tenantId: freshTenant('wrongtype') });
      await decide(bad, model, store, clock);
      const [log] = await store.client.keys(`tl:{t:${bad.tenantId}}:rl:s:default:*`);
      await store.client.del(log!);
      await store.client.set(log!, 'not a list'); // LINDEX on it fails with WRONGTYPE
      const good = facts(model, 'ingestTrace', { tenantId: freshTenant('beside') });
      const [before, failed, after] = await Promise.all([
        decide(good, model, store, clock),
        decide(bad, model, store, clock, { failMode: 'closed' }),
        decide(good, model, store, clock),
      ]);
      expect(failed).toMatchObject({ allowed: false, status: 503, code: 'service_unavailable' });
      expect(before).toMatchObject({ allowed: true, degraded: false });
      expect(after).toMatchObject({ allowed: true, degraded: false });
      expect(after.perPolicy.find((p) => p.name === 'default')!.remaining).toBe(before.perPolicy.find((p) => p.name === 'default')!.remaining - 1);
      expect(await store.client.get(log!)).toBe('not a list'); // the failed decision changed nothing
    });

    it('makes exactly one round trip (one EVALSHA) per decision, with three limiters and a quota read', async () => {
      const store = await open();
      const clock = testClock();
      const f = facts(model, 'listAuditEvents', { tenantId: freshTenant('rt'), plan: 'team', meters: { traces: 1 } });
      await decide(f, model, store, clock); // loads the script on this connection
      const sent = await commandsDuring(store, async () => {
        for (let i = 0; i < 25; i++) await decide(f, model, store, clock);
      });
      expect(sent).toEqual(Array.from({ length: 25 }, () => 'evalsha'));
    });

    it('keeps every key of one request in one Cluster slot (`tl:{t:<tenant>}:…`), each with a TTL', async () => {
      const store = await open();
      const tenantId = freshTenant('slot');
      const f = facts(model, 'listAuditEvents', { tenantId, plan: 'team' });
      await decide(f, model, store, testClock());
      await store.recordUsage(tenantId, { traces: 3 }, testClock().now());
      const keys = (await store.client.keys(`tl:{t:${tenantId}}:*`)).sort();
      expect(keys).toEqual([
        `tl:{t:${tenantId}}:rl:g:default.burst:k:key_1`,
        `tl:{t:${tenantId}}:rl:s:audit:t`,
        `tl:{t:${tenantId}}:rl:s:default:k:key_1`,
        `tl:{t:${tenantId}}:use:2026-03`,
      ]);
      // every key expires by itself (limiter state after its window, usage 40 days after its month)
      const ttls = await Promise.all(keys.map((k) => store.client.pttl(k)));
      expect(ttls.every((t) => t > 0)).toBe(true);
      const slots = await Promise.all(keys.map((k) => store.client.call('CLUSTER', 'KEYSLOT', k).catch(() => null)));
      // CLUSTER KEYSLOT works on a standalone server too (Redis ≥ 3); when it does, one slot
      if (slots.every((s) => s !== null)) expect(new Set(slots).size).toBe(1);
    });

    it('reloads the script by itself after SCRIPT FLUSH (EVALSHA falls back on NOSCRIPT)', async () => {
      const store = await open();
      const f = facts(model, 'ingestTrace', { tenantId: freshTenant('flush') });
      const clock = testClock();
      expect((await decide(f, model, store, clock)).allowed).toBe(true);
      await store.client.script('FLUSH');
      const d = await decide(f, model, store, clock);
      expect(d).toMatchObject({ allowed: true, degraded: false });
    });

    it('survives Redis being killed mid-run: fail-open admits and marks degraded, fail-closed answers 503 + Retry-After; both recover', async () => {
      const openStore = await open({ commandTimeoutMs: 500 });
      const closedStore = await open({ commandTimeoutMs: 500 });
      const clock = testClock();
      const f = facts(model, 'ingestTrace', { tenantId: freshTenant('kill'), plan: 'free' });
      const before = await decide(f, model, openStore, clock);
      expect(before).toMatchObject({ allowed: true, degraded: false });

      await server.stop();
      const t0 = Date.now();
      const [degraded, unavailable] = await Promise.all([
        decide(f, model, openStore, clock, { failMode: 'open' }),
        decide(f, model, closedStore, clock, { failMode: 'closed', failRetryAfterSeconds: 2 }),
      ]);
      // Never hangs: answered by the command timeout at the latest (the alternative is no answer at
      // all), with room for a loaded machine.
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(degraded).toMatchObject({ allowed: true, degraded: true, perPolicy: [] });
      expect(unavailable).toMatchObject({ allowed: false, status: 503, code: 'service_unavailable', retryAfter: 2 });
      expect(unavailable.problem).toMatchObject({ retry_after_seconds: 2 });
      expect(rateLimitHeaders(unavailable)).toEqual({ 'Retry-After': '2' });
      // many decisions while down: all answered, none throws
      const during = await Promise.all(Array.from({ length: 50 }, () => decide(f, model, openStore, clock)));
      expect(during.every((d) => d.allowed && d.degraded)).toBe(true);

      await server.start();
      expect(await openStore.ready(5000)).toBe(true);
      expect(await closedStore.ready(5000)).toBe(true);
      const after = await decide(f, model, openStore, clock, { failMode: 'open' });
      const afterClosed = await decide(f, model, closedStore, clock, { failMode: 'closed' });
      expect(after).toMatchObject({ allowed: true, degraded: false });
      expect(afterClosed).toMatchObject({ allowed: true, degraded: false });
      // the restarted server is empty (no persistence): counting starts again
      expect(after.perPolicy.find((p) => p.name === 'default.burst')?.remaining).toBe(19);
    });

    it('fails fast (command timeout) when Redis stops answering, and recovers when it resumes', async () => {
      const store = await open({ commandTimeoutMs: 200 });
      const f = facts(model, 'ingestTrace', { tenantId: freshTenant('stall') });
      const clock = testClock();
      server.pause(); // SIGSTOP: the socket stays open, nothing answers
      try {
        const t0 = Date.now();
        const d = await decide(f, model, store, clock, { failMode: 'closed' });
        expect(Date.now() - t0).toBeLessThan(5000); // the 200 ms command timeout, not a hang
        expect(d.status).toBe(503);
      } finally {
        server.resume();
      }
      await store.ready(5000);
      expect((await decide(f, model, store, clock, { failMode: 'closed' })).allowed).toBe(true);
    });
  });
}
