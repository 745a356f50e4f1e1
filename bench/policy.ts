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
 * figures are medians over rounds (after one warm-up round). The memory jobs run first, in a
 * child process of their own (as a MemoryStore deployment would), then the Redis jobs.
 * Memory p99 is per decision, timed one by one in a separate pass; Redis p99 is per decision
 * at 64 in flight. Ends with the one-line summary of DESIGN §9.
 */
import { fork } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { loadModel } from '../src/contract/index.js';
import type { ContractModel } from '../src/contract/model.js';
import { applyOverrides, decide, MemoryStore, type PolicyStore, type RequestFacts } from '../src/policy/index.js';
import { RedisStore } from '../src/policy/redis.js';
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

type Results = Record<string, number[]>;
const add = (results: Results, k: string, v: number) => (results[k] ??= []).push(v);

/** Runs ours, then theirs, on odd rounds, the other way round on even ones, a full GC before each. */
async function pair<A, B>(round: number, ours: () => Promise<A>, theirs: () => Promise<B>): Promise<[A, B]> {
  gc();
  if (round % 2 === 1) {
    const a = await ours();
    gc();
    return [a, await theirs()];
  }
  const b = await theirs();
  gc();
  return [await ours(), b];
}

/**
 * The memory jobs, in a child process of their own: a process that decides with MemoryStore
 * never runs RedisStore, and sharing one V8 with the Redis jobs would make the hot path
 * polymorphic (and charge it their garbage).
 */
async function memoryRounds(): Promise<Results> {
  const single = applyOverrides(await loadModel(), { policies: { default: { limit: 1000, windowSeconds: 60 } } });
  const results: Results = {};
  for (let round = 0; round <= ROUNDS; round++) {
    const store = new MemoryStore();
    const rlf = new RateLimiterMemory({ points: 1000, duration: 60, keyPrefix: `m${round}` });
    const [ours, theirs] = await pair(
      round,
      () => throughputSerial(ourJob(single, store, 'ingestTrace', 'pro', round), MEMORY_MS),
      () => throughputSerial(rlfJob(rlf, round), MEMORY_MS),
    );
    gc();
    const p99 = await p99Serial(ourJob(single, store, 'ingestTrace', 'pro', round + 1000), 50_000, 0);
    const line = `memory ${fmt(ours.dps)}/s (${fmt(ours.cpu)}/cpu-s, p99 ${fmt(p99, 2)} µs) · rlf memory ${fmt(theirs.dps)}/s (${fmt(theirs.cpu)}/cpu-s)`;
    console.log(round === 0 ? `warm-up  ${line}` : `round ${round}  ${line}`);
    if (round === 0) continue;
    add(results, 'memory', ours.dps);
    add(results, 'memory_cpu', ours.cpu);
    add(results, 'rlf_memory', theirs.dps);
    add(results, 'rlf_memory_cpu', theirs.cpu);
    add(results, 'memory_p99_us', p99);
  }
  return results;
}

/** Runs this script again as `memory` and collects its results (its log goes to our stdout). */
function memoryChild(): Promise<Results> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['memory'], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let results: Results | null = null;
    child.on('message', (m) => (results = m as Results));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 && results ? resolve(results) : reject(new Error(`memory rounds failed (exit ${code})`))));
  });
}

async function redisRounds(): Promise<Results> {
  const contract = await loadModel();
  const single = applyOverrides(contract, { policies: { default: { limit: 1000, windowSeconds: 60 } } });
  const server = await startRedisServer();
  const redisStore = new RedisStore({ url: server.url });
  const rlfClient = new Redis(server.url, { enableOfflineQueue: false, enableAutoPipelining: true, maxRetriesPerRequest: 0 });
  rlfClient.on('error', () => {});
  const results: Results = {};
  try {
    if (!(await redisStore.ready(5000))) throw new Error('RedisStore did not connect');
    if (rlfClient.status !== 'ready') await new Promise((resolve) => rlfClient.once('ready', resolve));
    console.log(`redis-server ${server.port}, ${IN_FLIGHT} decisions in flight`);
    for (let round = 0; round <= ROUNDS; round++) {
      const rlf = new RateLimiterRedis({ storeClient: rlfClient, points: 1000, duration: 60, keyPrefix: `r${round}` });
      const [redis, rlfRedis] = await pair(
        round,
        () => throughputConcurrent(ourJob(single, redisStore, 'ingestTrace', 'pro', round), REDIS_MS),
        () => throughputConcurrent(rlfJob(rlf, round), REDIS_MS),
      );
      gc();
      const redis3 = await throughputConcurrent(ourJob(contract, redisStore, 'listTraces', 'enterprise', round), REDIS_MS);
      const line = `redis ${fmt(redis.dps)}/s (p99 ${fmt(redis.p99, 2)} ms) · redis3 ${fmt(redis3.dps)}/s (p99 ${fmt(redis3.p99, 2)} ms) · rlf redis ${fmt(rlfRedis.dps)}/s (p99 ${fmt(rlfRedis.p99, 2)} ms)`;
      console.log(round === 0 ? `warm-up  ${line}` : `round ${round}  ${line}`);
      await redisStore.reset(); // keep Redis small between rounds (rlf keys expire by themselves)
      if (round === 0) continue;
      add(results, 'redis', redis.dps);
      add(results, 'redis_p99_ms', redis.p99);
      add(results, 'redis3', redis3.dps);
      add(results, 'redis3_p99_ms', redis3.p99);
      add(results, 'rlf_redis', rlfRedis.dps);
      add(results, 'rlf_redis_p99_ms', rlfRedis.p99);
    }
  } finally {
    await redisStore.close();
    rlfClient.disconnect();
    await server.dispose();
  }
  return results;
}

async function main(): Promise<void> {
  if (process.argv[2] === 'memory') {
    process.send!(await memoryRounds());
    return;
  }
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `bench:policy on ${cpu} (${availableParallelism()} cores), Node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`${ROUNDS} rounds + 1 warm-up; memory ${MEMORY_MS} ms, redis ${REDIS_MS} ms per measurement\n`);
  const results = { ...(await memoryChild()), ...(await redisRounds()) };
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
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
