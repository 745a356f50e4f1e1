/**
 * `npm run bench:policy`: the policy engine's decisions/s and p99, side by side in one run with
 * rate-limiter-flexible doing the comparable single-policy job (check and consume one unit for
 * a key), on the memory store and on a real redis-server this script starts on a free port.
 *
 * Jobs (limits from the bundled contract, nothing hard-coded):
 * - memory / rlf_memory: one limiter per decision (`default`, overridden to 1000/60s, which
 *   drops its burst: a sliding log), 10,000 API keys in rotation, every request admitted;
 *   rlf: RateLimiterMemory({points: 1000, duration: 60}) on the same keys (a fixed window).
 * - redis / rlf_redis: the same job on Redis (ours: one EVALSHA of our script; rlf: one EVALSHA
 *   of its incr script), 64 requests in flight, each library on its own ioredis connection.
 * - redis3: `listTraces` on the enterprise plan as the contract defines it: `default` (sliding
 *   10000/60s) + `default.burst` (GCRA 3333/10s) + `reads` (fixed 2000/1s): 3 limiters, one trip.
 * Several rounds, each pair in alternating order with a full GC before every measurement;
 * figures are medians over rounds (after one warm-up round).
 * Memory p99 is per decision, timed one by one in a separate pass; Redis p99 is per decision
 * at 64 in flight. Ends with the one-line summary of DESIGN §9.
 */
import { availableParallelism, cpus } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { loadModel } from '../src/contract/index.js';
import type { ContractModel } from '../src/contract/model.js';
import { applyOverrides, decide, MemoryStore, RedisStore, type PolicyStore, type RequestFacts } from '../src/policy/index.js';
import { startRedisServer } from './lib/redis-server.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 7);
const MEMORY_MS = 400;
const REDIS_MS = 800;
const IN_FLIGHT = 64;
const KEYS = 10_000;
const clock = { now: () => Date.now() };

// A full GC before each measurement, so one job's garbage is not collected on the next one's time.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

type Job = (i: number) => Promise<unknown>;

/**
 * Runs `job` back to back for `ms`; returns decisions per wall-clock second, and per second of
 * this process's CPU time (the same job on an otherwise idle core: robust on a shared machine).
 */
async function throughputSerial(job: Job, ms: number): Promise<{ dps: number; cpu: number }> {
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  const end = start + ms;
  let n = 0;
  for (;;) {
    for (let k = 0; k < 1024; k++) await job(n++);
    if (performance.now() >= end) break;
  }
  const cpu = process.cpuUsage(cpu0);
  return { dps: (n / (performance.now() - start)) * 1000, cpu: n / ((cpu.user + cpu.system) / 1e6) };
}

/** Times `count` calls one by one; returns the p99 in microseconds. */
async function p99Serial(job: Job, count: number, offset: number): Promise<number> {
  const lat = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await job(offset + i);
    lat[i] = performance.now() - t;
  }
  return percentile(lat, 0.99) * 1000;
}

/** `IN_FLIGHT` workers call `job` for `ms`; returns decisions/s and p99 latency in ms. */
async function throughputConcurrent(job: Job, ms: number): Promise<{ dps: number; p99: number }> {
  const start = performance.now();
  const end = start + ms;
  let n = 0;
  const lat: number[] = [];
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await job(n++);
        lat.push(performance.now() - t);
      }
    }),
  );
  return { dps: (n / (performance.now() - start)) * 1000, p99: percentile(Float64Array.from(lat), 0.99) };
}

function percentile(values: Float64Array, p: number): number {
  const sorted = values.slice().sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Facts for key `i`: tenant and key both rotate over {@link KEYS}, so state stays realistic. */
function factsFor(model: ContractModel, operationId: string, plan: string, round: number): (i: number) => RequestFacts {
  const operation = model.operations.find((o) => o.operationId === operationId);
  if (!operation) throw new Error(`the contract has no operation ${operationId}`);
  const pool = Array.from({ length: KEYS }, (_, k) => ({ operation, plan, tenantId: `ten_${round}_${k}`, apiKeyId: `key_${round}_${k}`, ip: null }));
  return (i) => pool[i % KEYS]!;
}

function ourJob(model: ContractModel, store: PolicyStore, operationId: string, plan: string, round: number): Job {
  const f = factsFor(model, operationId, plan, round);
  return async (i) => {
    const d = await decide(f(i), model, store, clock);
    if (!d.allowed) throw new Error(`bench job refused (${d.code}): the job should only measure admissions`);
  };
}

function rlfJob(limiter: RateLimiterMemory | RateLimiterRedis, round: number): Job {
  const keys = Array.from({ length: KEYS }, (_, k) => `key_${round}_${k}`);
  return (i) => limiter.consume(keys[i % KEYS]!);
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);

async function main(): Promise<void> {
  const contract = await loadModel();
  const single = applyOverrides(contract, { policies: { default: { limit: 1000, windowSeconds: 60 } } });
  const server = await startRedisServer();
  const redisOptions = { enableOfflineQueue: false, enableAutoPipelining: true, maxRetriesPerRequest: 0 } as const;
  const redisStore = new RedisStore({ url: server.url });
  const rlfClient = new Redis(server.url, redisOptions);
  rlfClient.on('error', () => {});
  try {
    if (!(await redisStore.ready(5000))) throw new Error('RedisStore did not connect');
    if (rlfClient.status !== 'ready') await new Promise((resolve) => rlfClient.once('ready', resolve));
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    console.log(`bench:policy on ${cpu} (${availableParallelism()} cores), Node ${process.version}, redis-server on :${server.port}`);
    console.log(`${ROUNDS} rounds + 1 warm-up; memory ${MEMORY_MS} ms, redis ${REDIS_MS} ms at ${IN_FLIGHT} in flight per measurement\n`);

    const results: Record<string, number[]> = {};
    const add = (k: string, v: number) => (results[k] ??= []).push(v);
    for (let round = 0; round <= ROUNDS; round++) {
      // each pair runs in alternating order (ours first on odd rounds), so drift favours neither
      const pair = async <A, B>(ours: () => Promise<A>, theirs: () => Promise<B>): Promise<[A, B]> => {
        gc();
        if (round % 2 === 1) {
          const a = await ours();
          gc();
          return [a, await theirs()];
        }
        const b = await theirs();
        gc();
        return [await ours(), b];
      };
      let memoryStore: MemoryStore | null = new MemoryStore();
      const rlfMemory = new RateLimiterMemory({ points: 1000, duration: 60, keyPrefix: `m${round}` });
      const rlfRedis = new RateLimiterRedis({ storeClient: rlfClient, points: 1000, duration: 60, keyPrefix: `r${round}` });
      const [memory, rlf_memory] = await pair(
        () => throughputSerial(ourJob(single, memoryStore!, 'ingestTrace', 'pro', round), MEMORY_MS),
        () => throughputSerial(rlfJob(rlfMemory, round), MEMORY_MS),
      );
      gc();
      const memory_p99_us = await p99Serial(ourJob(single, memoryStore, 'ingestTrace', 'pro', round + 1000), 50_000, 0);
      memoryStore = null; // let it go before the Redis jobs
      const [redis, rlf_redis] = await pair(
        () => throughputConcurrent(ourJob(single, redisStore, 'ingestTrace', 'pro', round), REDIS_MS),
        () => throughputConcurrent(rlfJob(rlfRedis, round), REDIS_MS),
      );
      gc();
      const redis3 = await throughputConcurrent(ourJob(contract, redisStore, 'listTraces', 'enterprise', round), REDIS_MS);
      const r = { memory, rlf_memory, memory_p99_us, redis, redis3, rlf_redis };
      const line = `memory ${fmt(r.memory.dps)}/s (${fmt(r.memory.cpu)}/cpu-s, p99 ${fmt(r.memory_p99_us, 2)} µs) · rlf memory ${fmt(r.rlf_memory.dps)}/s (${fmt(r.rlf_memory.cpu)}/cpu-s) · redis ${fmt(r.redis.dps)}/s (p99 ${fmt(r.redis.p99, 2)} ms) · redis3 ${fmt(r.redis3.dps)}/s (p99 ${fmt(r.redis3.p99, 2)} ms) · rlf redis ${fmt(r.rlf_redis.dps)}/s (p99 ${fmt(r.rlf_redis.p99, 2)} ms)`;
      console.log(round === 0 ? `warm-up  ${line}` : `round ${round}  ${line}`);
      if (round === 0) continue;
      add('memory', r.memory.dps);
      add('memory_cpu', r.memory.cpu);
      add('rlf_memory', r.rlf_memory.dps);
      add('rlf_memory_cpu', r.rlf_memory.cpu);
      add('memory_p99_us', r.memory_p99_us);
      add('redis', r.redis.dps);
      add('redis_p99_ms', r.redis.p99);
      add('redis3', r.redis3.dps);
      add('redis3_p99_ms', r.redis3.p99);
      add('rlf_redis', r.rlf_redis.dps);
      add('rlf_redis_p99_ms', r.rlf_redis.p99);
      await redisStore.reset(); // keep Redis small between rounds (rlf keys expire by themselves)
    }
    const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)])) as Record<string, number>;
    console.log(
      `\nmedians: memory ${fmt(m['memory']!)}/s vs rlf ${fmt(m['rlf_memory']!)}/s (per CPU-second ${fmt(m['memory_cpu']!)} vs ${fmt(m['rlf_memory_cpu']!)}); redis ${fmt(m['redis']!)}/s vs rlf ${fmt(m['rlf_redis']!)}/s ` +
        `(p99 ${fmt(m['redis_p99_ms']!, 2)} vs ${fmt(m['rlf_redis_p99_ms']!, 2)} ms); redis with 3 limiters ${fmt(m['redis3']!)}/s (p99 ${fmt(m['redis3_p99_ms']!, 2)} ms)`,
    );
    console.log(
      `bench:policy memory_dps=${fmt(m['memory']!)} redis_dps=${fmt(m['redis']!)} redis3_dps=${fmt(m['redis3']!)} ` +
        `rlf_memory_dps=${fmt(m['rlf_memory']!)} rlf_redis_dps=${fmt(m['rlf_redis']!)} ` +
        `vs_rlf_memory=${fmt(m['memory']! / m['rlf_memory']!, 2)} vs_rlf_redis=${fmt(m['redis']! / m['rlf_redis']!, 2)} ` +
        `memory_p99_us=${fmt(m['memory_p99_us']!, 2)} redis_p99_ms=${fmt(m['redis_p99_ms']!, 2)}`,
    );
  } finally {
    await redisStore.close();
    rlfClient.disconnect();
    await server.dispose();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
