/**
 * Faults (issue 7): two mock instances share one real redis-server under load; the server is
 * killed (SIGKILL) mid-load and started again on the same port. DESIGN §4: a store failure
 * follows `failMode` (open admits with `X-Traceloom-Degraded`, closed answers 503
 * `service_unavailable` with `Retry-After`), never crashes, and recovers by itself.
 * Since issue 12 the state lives in Redis too: a stateful operation (ingest) cannot be served
 * while it is down and answers 503 with `Retry-After` in both modes (a 202 would be a lie);
 * `failMode` governs what needs only the counters (here `POST /v1/route-model`, answered by Prism).
 * Every loop is bounded in count and in time; everything is on loopback.
 *
 * Judged by what was sent when, not by when answers happened to arrive: on a loaded machine an
 * answer can arrive long after its request was sent, so each phase is delimited by the moment
 * a condition was observed (the kill began, an instance answered enforced again), and every
 * wait for a phase is a bounded wait for a condition, never a fixed sleep.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findRedisServer, startRedisServer, type RedisServer } from '../../bench/lib/redis-server.js';
import { createMock, type MockServer } from '../../src/mock/index.js';
import { requireBinary } from '../support/requires.js';
import { sleep, until } from '../support/wait.js';

const LOAD_KEY = 'tl_test_enterprise_00000000000000000001';
const CHECK_KEY = 'tl_test_team_0000000000000000000000001';
/** Load never meets a 429: every answer is either enforced (2xx + RateLimit) or the store's fault. */
const POLICIES = ['default=1000000/60s', 'reads=20/60s'];
const WORKERS = 12;
const REQUEST_TIMEOUT_MS = 5000;
const MAX_REQUESTS = 20_000;

type Kind = 'enforced' | 'degraded' | 'unavailable' | 'other';
interface Seen {
  op: 'ingest' | 'route';
  /** Which instance it was sent to. */
  target: string;
  /** When the request was sent (performance.now()); `at` is when its answer arrived. */
  sentAt: number;
  kind: Kind;
  status: number;
  at: number;
  detail: string;
}

/** Classifies one answer; `other` carries what made it wrong. */
async function classify(res: Response): Promise<Omit<Seen, 'op' | 'sentAt' | 'target'>> {
  const text = await res.text();
  const at = performance.now();
  const detail = `${res.status} ${res.headers.get('content-type')} ${text.slice(0, 200)}`;
  const enforced = res.headers.has('ratelimit') && res.headers.has('ratelimit-policy') && !res.headers.has('x-traceloom-degraded');
  if (res.status < 300 && enforced) return { kind: 'enforced', status: res.status, at, detail };
  if (res.status < 300 && res.headers.get('x-traceloom-degraded') === 'rate-limit-store-unavailable' && !res.headers.has('ratelimit')) {
    return { kind: 'degraded', status: res.status, at, detail };
  }
  if (res.status === 503 && res.headers.get('content-type')?.startsWith('application/problem+json')) {
    const body = JSON.parse(text) as { code?: string; status?: number; retry_after_seconds?: number; type?: string };
    const retryAfter = Number(res.headers.get('retry-after'));
    if (
      body.code === 'service_unavailable' &&
      body.status === 503 &&
      retryAfter >= 1 &&
      body.retry_after_seconds === retryAfter &&
      body.type?.endsWith('#service_unavailable')
    ) {
      return { kind: 'unavailable', status: res.status, at, detail };
    }
  }
  return { kind: 'other', status: res.status, at, detail };
}

/** One request to `base`: a fresh trace (ids never repeat, so no 409), or a stateless route-model call. */
let traceSeq = 0;
async function send(base: string, op: Seen['op']): Promise<Seen> {
  const id = `tr_fa${(traceSeq++).toString(16).padStart(14, '0')}`;
  const sentAt = performance.now();
  const body =
    op === 'ingest'
      ? { trace_id: id, name: 'fault drill', start_time: '2026-03-03T12:00:00Z', status: 'ok', spans: [] }
      : { prompt: 'Classify this ticket.', objective: 'cost' };
  try {
    const res = await fetch(`${base}${op === 'ingest' ? '/v1/ingest' : '/v1/route-model'}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${LOAD_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { op, target: base, sentAt, ...(await classify(res)) };
  } catch (err) {
    return {
      op,
      target: base,
      sentAt,
      kind: 'other',
      status: 0,
      at: performance.now(),
      detail: `no answer: ${(err as Error).name}: ${(err as Error).message}`,
    };
  }
}

/** Concurrent load over both instances until `stop()` or the request budget is spent. */
function startLoad(urls: string[]) {
  const seen: Seen[] = [];
  let running = true;
  let n = 0;
  const done = Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (running && n < MAX_REQUESTS) {
        const i = n++;
        seen.push(await send(urls[i % urls.length]!, Math.floor(i / urls.length) % 2 ? 'route' : 'ingest'));
      }
    }),
  );
  return {
    seen,
    async stop() {
      running = false;
      await done;
    },
  };
}

/**
 * Polls `base` until it enforces again steadily (three ingests and three stateless calls in a row
 * enforced: both its state and its counter connections are back); returns the moment the last of
 * those answers arrived (throws after `limitMs`). A request sent to `base` after that moment
 * reached the instance after it had decided with Redis again, so it must be enforced too.
 */
async function untilEnforced(base: string, limitMs: number): Promise<number> {
  const t0 = performance.now();
  let streak = 0;
  while (performance.now() - t0 < limitMs) {
    const ingest = await send(base, 'ingest');
    const route = await send(base, 'route');
    const ok = ingest.kind === 'enforced' && route.kind === 'enforced';
    streak = ok ? streak + 1 : 0;
    if (streak === 3) return route.at;
    if (!ok) await sleep(50);
  }
  throw new Error(`${base} did not enforce limits again within ${limitMs} ms of redis-server's restart`);
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

describe.each([
  { failMode: 'open' as const, whileDown: 'degraded' as const },
  { failMode: 'closed' as const, whileDown: 'unavailable' as const },
])('redis-server killed and restarted under load, failMode $failMode', ({ failMode, whileDown }) => {
  if (!requireBinary(findRedisServer(), 'redis-server', 'apt-get install -y redis-server')) return;
  let redis: RedisServer;
  let mocks: MockServer[] = [];
  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    redis = await startRedisServer();
    const options = { port: 0, log: false as const, env: {}, redisUrl: redis.url, failMode, policies: POLICIES };
    mocks = await Promise.all([createMock(options), createMock(options)]);
    for (const m of mocks) await untilEnforced(m.url, 20_000); // both connected before the drill
  });
  afterEach(() => expect(unhandled).toEqual([]));
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await Promise.all(mocks.map((m) => m.close()));
    await redis?.dispose();
  });

  it(`answers every request (${whileDown === 'degraded' ? '2xx marked degraded' : '503 service_unavailable with Retry-After'} while down) and enforces again by itself after the restart`, async () => {
    const urls = mocks.map((m) => m.url);
    const load = startLoad(urls);
    const seen = load.seen;
    await until(() => seen.length >= 100, 20_000, 'the load did not get 100 answers before the kill');
    const killedAt = performance.now(); // answers before this were decided with redis-server up
    await redis.stop();
    const deadAt = performance.now(); // redis-server has exited
    const downSince = (op: Seen['op'], kind: Kind) => seen.filter((s) => s.sentAt > deadAt && s.op === op && s.kind === kind).length;
    await until(() => downSince('route', whileDown) > 10 && downSince('ingest', 'unavailable') > 10, 20_000, `the load met no outage (${whileDown})`);
    // The control API reads the store too: it answers 503 while it is down, it does not hang.
    const control = await fetch(`${urls[0]}/__mock/state`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const controlBody = (await control.json()) as { code?: string };
    const restartedAt = performance.now();
    await redis.start();
    // Each instance reconnects on its own (bounded backoff, 1 s at most between attempts).
    const recoveredAt = await Promise.all(urls.map((u) => untilEnforced(u, 10_000)));
    const backAt = Math.max(...recoveredAt);
    await until(() => seen.filter((s) => s.sentAt > backAt).length >= 50, 20_000, 'the load sent no 50 requests after recovery');
    await load.stop();

    expect([control.status, control.headers.get('retry-after'), controlBody.code]).toEqual([503, '1', 'service_unavailable']);
    // Stateless calls follow failMode; ingest needs the state store, so it is 503 in both modes
    // while that is down (and, fail-open, admitted degraded in the moment the state connection is
    // back before the counters' connection is).
    const allowedWhileDown = (s: Seen) => (s.op === 'route' ? [whileDown] : ['unavailable', whileDown]);
    const wrong = seen.filter((s) => s.kind === 'other' || (s.kind !== 'enforced' && !allowedWhileDown(s).includes(s.kind)));
    expect(wrong.map((s) => `${s.op} ${s.detail}`).slice(0, 5)).toEqual([]);
    // Nothing answered before the kill was a fault answer; every fault answer came after it.
    expect(seen.filter((s) => s.at < killedAt && s.kind !== 'enforced').map((s) => `${s.op} ${s.detail}`)).toEqual([]);
    expect(seen.filter((s) => s.kind !== 'enforced').every((s) => s.at > killedAt)).toBe(true);
    // Enforcement came back by itself within a few seconds of the restart (the reconnect backoff is 1 s at most).
    for (const at of recoveredAt) expect(at - restartedAt).toBeLessThan(10_000);
    // Once an instance has answered enforced again, every request sent to it afterwards is enforced:
    // no answer is degraded or refused after the store is back (no window of stale fault state).
    const tail = seen.filter((s) => s.sentAt > recoveredAt[urls.indexOf(s.target)]!);
    expect(tail.length).toBeGreaterThanOrEqual(50);
    expect(
      tail
        .filter((s) => s.kind !== 'enforced')
        .map((s) => `${s.op} ${s.detail}`)
        .slice(0, 3),
    ).toEqual([]);
  });

  it('shares one limit between both instances again after the restart (counters live in the new redis-server)', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        fetch(`${mocks[i % 2]!.url}/v1/traces?limit=1`, {
          headers: { authorization: `Bearer ${CHECK_KEY}` },
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
  });
});
