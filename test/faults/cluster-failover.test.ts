/**
 * Failover drill (issue 12): a Redis Cluster of three masters with one replica each, two mock
 * instances on it (one fail-open, one fail-closed) under load. The master that holds the load
 * tenant's slot is killed (SIGKILL); its replica is promoted (cluster-node-timeout 1 s). Every
 * request is answered meanwhile — per failMode for counter-only calls, 503 + Retry-After for
 * stateful ones — and each instance enforces again by itself within FAILOVER_BOUND_MS.
 * Redis replicates asynchronously: writes acknowledged by the old master in its last moments may
 * be missing on the promoted replica; the drill reports how many accepted traces that lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRedisServer } from '../../bench/lib/redis-server.js';
import { findRedisCli, startRedisCluster, type RedisCluster } from '../../bench/lib/redis-cluster.js';
import { createMock, type MockServer } from '../../src/mock/index.js';
import { requireBinary } from '../support/requires.js';
import { sleep, until } from '../support/wait.js';

const KEY = 'tl_test_enterprise_00000000000000000001';
const TENANT_KEY = 'tls:{t:ten_enterpriseco}:meta';
/**
 * From the kill to steady enforcement on every instance: node timeout (1 s) + election + slot
 * refresh (1 s) — about 3 s on a quiet machine — bounded at 30 s, which holds on a loaded one too
 * (there the Redis processes themselves wait for CPU).
 */
const FAILOVER_BOUND_MS = 30_000;
const REQUEST_TIMEOUT_MS = 5000;
const WORKERS = 8;

type Kind = 'enforced' | 'degraded' | 'unavailable' | 'other';
interface Seen {
  instance: number;
  op: 'ingest' | 'route';
  id: string;
  kind: Kind;
  sentAt: number;
  /** When the answer arrived. */
  at: number;
  detail: string;
}

async function classify(res: Response): Promise<{ kind: Kind; detail: string; at: number }> {
  const text = await res.text();
  const at = performance.now();
  const detail = `${res.status} ${text.slice(0, 160)}`;
  if (res.status < 300 && res.headers.has('ratelimit') && !res.headers.has('x-traceloom-degraded')) return { kind: 'enforced', detail, at };
  if (res.status < 300 && res.headers.get('x-traceloom-degraded') === 'rate-limit-store-unavailable') return { kind: 'degraded', detail, at };
  if (res.status === 503 && Number(res.headers.get('retry-after')) >= 1 && (JSON.parse(text) as { code?: string }).code === 'service_unavailable')
    return { kind: 'unavailable', detail, at };
  return { kind: 'other', detail, at };
}

let seq = 0;
async function send(mocks: MockServer[], instance: number, op: Seen['op']): Promise<Seen> {
  const id = `tr_fo${(seq++).toString(16).padStart(14, '0')}`;
  const sentAt = performance.now();
  const body =
    op === 'ingest' ? { trace_id: id, name: 'failover', start_time: '2026-03-03T12:00:00Z', spans: [] } : { prompt: 'Classify this.', objective: 'cost' };
  try {
    const res = await fetch(`${mocks[instance]!.url}${op === 'ingest' ? '/v1/ingest' : '/v1/route-model'}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { instance, op, id, sentAt, ...(await classify(res)) };
  } catch (err) {
    return { instance, op, id, sentAt, at: performance.now(), kind: 'other', detail: `no answer: ${(err as Error).message}` };
  }
}

/** Resolves when the instance enforces steadily (three ingests and three counter-only calls in a row), at the latest `boundMs` after `from`. */
async function steady(mocks: MockServer[], instance: number, from: number, boundMs: number): Promise<number> {
  let streak = 0;
  let last: Seen | undefined;
  while (performance.now() - from < boundMs) {
    const ingest = await send(mocks, instance, 'ingest');
    const route = ingest.kind === 'enforced' ? await send(mocks, instance, 'route') : ingest;
    last = route.kind === 'enforced' ? last : route;
    const ok = route.kind === 'enforced';
    streak = ok ? streak + 1 : 0;
    if (streak === 3) return route.at;
    if (!ok) await sleep(50);
  }
  throw new Error(
    `instance ${instance} (${instance ? 'closed' : 'open'}) did not enforce steadily within ${boundMs} ms; last answer not enforced: ${last?.op} ${last?.kind} ${last?.detail}`,
  );
}

describe('Redis Cluster failover under load', () => {
  if (!requireBinary(findRedisServer(), 'redis-server', 'apt-get install -y redis-server')) return;
  if (!requireBinary(findRedisCli(), 'redis-cli', 'apt-get install -y redis-server')) return;
  let cluster: RedisCluster;
  let mocks: MockServer[] = [];
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicas: 1 });
    const options = { port: 0, log: false as const, env: {}, redisCluster: cluster.seeds, policies: ['default=1000000/60s'] };
    mocks = await Promise.all([createMock({ ...options, failMode: 'open' }), createMock({ ...options, failMode: 'closed' })]);
    const t0 = performance.now();
    await Promise.all([0, 1].map((i) => steady(mocks, i, t0, 20_000))); // both connected to every master before the drill
  });
  afterAll(async () => {
    await Promise.all(mocks.map((m) => m.close()));
    await cluster?.dispose();
  });

  it(`keeps answering per failMode while a master fails over, and enforces again within ${FAILOVER_BOUND_MS / 1000} s`, { timeout: 120_000 }, async () => {
    const seen: Seen[] = [];
    let running = true;
    let n = 0;
    const load = Promise.all(
      Array.from({ length: WORKERS }, async () => {
        while (running && n < 20_000) {
          const i = n++;
          seen.push(await send(mocks, i % 2, Math.floor(i / 2) % 2 ? 'route' : 'ingest'));
        }
      }),
    );
    await until(() => seen.length >= 40, 20_000, 'the load got no 40 answers before the kill');
    const victim = await cluster.masterOf(TENANT_KEY);
    const killedAt = performance.now();
    await victim.kill();
    const recoveredAt = await Promise.all([0, 1].map((i) => steady(mocks, i, killedAt, FAILOVER_BOUND_MS)));
    const backAt = Math.max(...recoveredAt);
    await until(() => seen.filter((s) => s.sentAt > backAt + 100).length >= 10, 20_000, 'the load sent no 10 requests after recovery');
    running = false;
    await load;

    expect(seen.length).toBeGreaterThan(40);
    // Answered before the kill: enforced (a request in flight at the kill may meet the failover).
    expect(seen.filter((s) => s.at < killedAt && s.kind !== 'enforced').map((s) => s.detail)).toEqual([]);
    // During the failover: counter-only calls follow failMode; stateful calls are 503 (or admitted degraded, fail-open, once state answers first).
    const allowed = (s: Seen): Kind[] =>
      s.op === 'route'
        ? ['enforced', s.instance === 0 ? 'degraded' : 'unavailable']
        : ['enforced', 'unavailable', ...(s.instance === 0 ? (['degraded'] as Kind[]) : [])];
    expect(
      seen
        .filter((s) => !allowed(s).includes(s.kind))
        .map((s) => `${s.instance} ${s.op} ${s.detail}`)
        .slice(0, 5),
    ).toEqual([]);
    expect(seen.filter((s) => s.kind !== 'enforced').length).toBeGreaterThan(0); // the load met the failover
    const tail = seen.filter((s) => s.sentAt > Math.max(...recoveredAt) + 100);
    expect(tail.length).toBeGreaterThan(0);
    expect(tail.filter((s) => s.kind !== 'enforced').map((s) => s.detail)).toEqual([]);
    const bound = Math.max(...recoveredAt) - killedAt;
    const counts = new Map<string, number>();
    for (const s of seen)
      counts.set(`${s.instance ? 'closed' : 'open'} ${s.op} ${s.kind}`, (counts.get(`${s.instance ? 'closed' : 'open'} ${s.op} ${s.kind}`) ?? 0) + 1);
    const kinds = [...counts].map(([k, v]) => `${k}: ${v}`);
    console.info(`failover drill: ${kinds.join(', ')}`);
    expect(bound).toBeLessThan(FAILOVER_BOUND_MS);

    // What asynchronous replication lost: traces answered 202 before the promotion but absent now.
    const accepted = seen.filter((s) => s.op === 'ingest' && s.kind !== 'unavailable' && s.detail.startsWith('202'));
    const missing: string[] = [];
    for (const s of accepted) {
      const r = await fetch(`${mocks[1]!.url}/v1/traces/${s.id}`, { headers: { authorization: `Bearer ${KEY}` } });
      if (r.status === 404) missing.push(s.id);
    }
    console.info(
      `failover drill: enforced again ${Math.round(bound)} ms after the kill; ${accepted.length} traces accepted, ${missing.length} lost to asynchronous replication`,
    );
    expect(missing.length).toBeLessThan(accepted.length);
  });
});
