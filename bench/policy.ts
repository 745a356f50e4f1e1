/**
 * `npm run bench:policy`: the policy engine's decisions/s and p99, side by side in one run with
 * rate-limiter-flexible doing the comparable single-policy job (check and consume one unit for
 * a key), on the memory store and on a real redis-server this script starts on a free port; then
 * the Redis bytes each policy keeps per active key.
 *
 * Jobs (limits from the bundled contract, nothing hard-coded):
 * - memory / rlf_memory: one limiter per decision (`default`, overridden to 1000/60s, which
 *   drops its burst), 10,000 API keys in rotation, every request admitted, once per algorithm:
 *   `fixed` (fixed-window: the head-to-head row, the algorithm rlf runs), `counter`
 *   (sliding-window-counter) and `log` (sliding-window, the exact log the contract's `default`
 *   uses); rlf: RateLimiterMemory({points: 1000, duration: 60}) on the same keys (a fixed window).
 * - redis / rlf_redis: the same jobs on Redis, 64 requests in flight, each library on its own
 *   ioredis connection with auto-pipelining. Ours: RedisStore as shipped, whose decisions of one
 *   tick share an EVALSHA of our script (batch 16); fixed_batch1: the same with `batch: 1`, one
 *   EVALSHA per decision; rlf: one EVALSHA of its incr script per decision.
 * - redis3: `listTraces` on the enterprise plan as the contract defines it: `default` (sliding
 *   log 10000/60s) + `default.burst` (GCRA 3333/10s) + `reads` (fixed 2000/1s): 3 limiters, one
 *   trip; redis3_counter: the same with `default` as a sliding-window counter.
 * - bytes: for every policy of the contract (and `default` as a counter) on every plan, one key
 *   filled to the plan's limit, then Redis `MEMORY USAGE … SAMPLES 0` (exact); ×100,000 for what
 *   100,000 active keys take. A policy with one limit for all plans is measured once (`all`).
 * Several rounds; within a round the jobs take turns in 8 slices each (50 ms in memory, 100 ms on
 * Redis), starting from a different job each round, so every job meets the same share of whatever
 * else runs on the machine; a full GC before each round; figures are medians over rounds (after
 * one warm-up round). The memory jobs run first, each in a child process of its own, taking
 * turns round by round (as a deployment runs one limiter; see memoryRounds), then the Redis jobs. Memory p99 is per decision, timed one by one in a separate pass; Redis p99 is per
 * decision at 64 in flight. Ends with the one-line summary of DESIGN §9, whose `memory_dps` and
 * `redis_dps` are the head-to-head (fixed-window) rows.
 */
import { fork } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { loadModel } from '../src/contract/index.js';
import type { ContractModel, PolicyAlgorithm } from '../src/contract/model.js';
import { applyOverrides, decide, MemoryStore, type Decision, type LimiterSpec, type PolicyStore, type RequestFacts } from '../src/policy/index.js';
import { burstCapacity, kindOf } from '../src/policy/compile.js';
import { RedisStore } from '../src/policy/redis.js';
import { startRedisServer } from './lib/redis-server.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 7);
const MEMORY_MS = 400;
const REDIS_MS = 800;
const IN_FLIGHT = 64;
/** Slices per job and round (see {@link interleave}). */
const SLICES = 8;
const KEYS = 10_000;
const clock = { now: () => Date.now() };

// A full GC before each measurement, so one job's garbage is not collected on the next one's time.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

type Job = (i: number) => Promise<unknown>;

/** What a job did over the slices of one round: decisions, wall and CPU time spent, latencies (concurrent jobs). */
interface Tally {
  n: number;
  wallMs: number;
  cpuUs: number;
  lat: number[];
}

/** A job measured slice by slice: runs for `ms` more, counting into `tally`. */
type Slice = (ms: number, tally: Tally) => Promise<void>;

/**
 * Runs `job` back to back; counts decisions, wall-clock time, and this process's CPU time (the
 * same job on an otherwise idle core: robust on a shared machine).
 */
function serial(job: Job): Slice {
  return async (ms, tally) => {
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    const end = start + ms;
    for (;;) {
      for (let k = 0; k < 256; k++) admitted(await job(tally.n++));
      if (performance.now() >= end) break;
    }
    const cpu = process.cpuUsage(cpu0);
    tally.wallMs += performance.now() - start;
    tally.cpuUs += cpu.user + cpu.system;
  };
}

/** `IN_FLIGHT` workers call `job`; counts decisions and wall-clock time, and records each latency. */
function concurrent(job: Job): Slice {
  return async (ms, tally) => {
    const start = performance.now();
    const end = start + ms;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          admitted(await job(tally.n++));
          tally.lat.push(performance.now() - t);
        }
      }),
    );
    tally.wallMs += performance.now() - start;
  };
}

/**
 * Runs every job of a round for `totalMs` in SLICES slices, cycling through the jobs (from a
 * different one each round), so that every job meets the same share of whatever else the
 * machine is doing; one full GC before the round, so the previous round's garbage is not
 * collected on this one's time.
 */
async function interleave(round: number, jobs: [string, Slice][], totalMs: number): Promise<Record<string, Tally>> {
  const tallies: Record<string, Tally> = Object.fromEntries(jobs.map(([name]) => [name, { n: 0, wallMs: 0, cpuUs: 0, lat: [] }]));
  gc();
  for (let slice = 0; slice < SLICES; slice++) {
    for (let k = 0; k < jobs.length; k++) {
      const [name, run] = jobs[(k + round) % jobs.length]!;
      await run(totalMs / SLICES, tallies[name]!);
    }
  }
  return tallies;
}

const perSecond = (t: Tally) => (t.n / t.wallMs) * 1000;
const perCpuSecond = (t: Tally) => t.n / (t.cpuUs / 1e6);
const p99Ms = (t: Tally) => percentile(Float64Array.from(t.lat), 0.99);

/** Times `count` calls one by one; returns the p99 in microseconds. */
async function p99Serial(job: Job, count: number, offset: number): Promise<number> {
  const lat = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    admitted(await job(offset + i));
    lat[i] = performance.now() - t;
  }
  return percentile(lat, 0.99) * 1000;
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
  // returns decide's own promise (no async wrapper: rlf's job returns consume's); admitted() checks it
  return (i) => decide(f(i), model, store, clock);
}

/** Throws on a refused decision: every job should measure admissions only (rlf's answers pass). */
function admitted(answer: unknown): void {
  const d = answer as Partial<Decision> | null;
  if (d !== null && typeof d === 'object' && d.allowed === false) throw new Error(`bench job refused (${d.code}): the job should only measure admissions`);
}

function rlfJob(limiter: RateLimiterMemory | RateLimiterRedis, round: number): Job {
  const keys = Array.from({ length: KEYS }, (_, k) => `key_${round}_${k}`);
  return (i) => limiter.consume(keys[i % KEYS]!);
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);

type Results = Record<string, number[]>;
const add = (results: Results, k: string, v: number) => (results[k] ??= []).push(v);

/** The single-policy jobs: `default` at 1000/60s (no burst) with each algorithm; `fixed` is the one rlf runs too. */
const ALGORITHMS: { job: string; algorithm: PolicyAlgorithm }[] = [
  { job: 'fixed', algorithm: 'fixed-window' as const },
  { job: 'counter', algorithm: 'sliding-window-counter' as const },
  { job: 'log', algorithm: 'sliding-window' as const },
].filter(({ job }) => !process.env['BENCH_ALGORITHMS'] || process.env['BENCH_ALGORITHMS'].split(',').includes(job));

/** The model with `default` counted by `algorithm` (and, with `single`, at 1000/60s without burst). */
function variant(model: ContractModel, algorithm: PolicyAlgorithm, single: boolean): ContractModel {
  const switched = { ...model, policies: { ...model.policies, default: { ...model.policies['default']!, algorithm } } };
  return single ? applyOverrides(switched, { policies: { default: { limit: 1000, windowSeconds: 60 } } }) : switched;
}

/** A memory job: one of ours (by algorithm) or rate-limiter-flexible's. */
type Side = string;
/** One job's figures for one round: decisions/s, per CPU-second, and (ours) p99 in µs. */
type MemoryRound = Record<string, { dps: number; cpu: number; p99: number }>;

/** One memory job for `round`, in this process: one of our algorithms (then its p99 in a pass of its own), or rlf. */
async function memoryRound(side: Side, contract: ContractModel, round: number): Promise<MemoryRound> {
  if (side === 'rlf') {
    const rlf = new RateLimiterMemory({ points: 1000, duration: 60, keyPrefix: `m${round}` });
    const t = await interleave(round, [['rlf', serial(rlfJob(rlf, round))]], MEMORY_MS);
    return { rlf: { dps: perSecond(t['rlf']!), cpu: perCpuSecond(t['rlf']!), p99: NaN } };
  }
  const { algorithm } = ALGORITHMS.find((a) => a.job === side)!;
  const store = new MemoryStore();
  const model = variant(contract, algorithm, true);
  const t = await interleave(round, [[side, serial(ourJob(model, store, 'ingestTrace', 'pro', round))]], MEMORY_MS);
  gc();
  const p99 = await p99Serial(ourJob(model, store, 'ingestTrace', 'pro', round + 1000), 50_000, 0);
  return { [side]: { dps: perSecond(t[side]!), cpu: perCpuSecond(t[side]!), p99 } };
}

/** A child process (this script as `memory <job>`) that runs that job's rounds when asked. */
function memorySide(side: Side): { ready: Promise<void>; run(round: number): Promise<MemoryRound>; close(): void } {
  const child = fork(fileURLToPath(import.meta.url), ['memory', side], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let waiting: ((m: unknown) => void) | null = null;
  let failed: Error | null = null;
  const fail = (err: Error) => {
    failed = err;
    waiting?.(err);
  };
  child.on('error', fail);
  child.on('exit', (code) => code !== 0 && fail(new Error(`memory job ${side} failed (exit ${code})`)));
  child.on('message', (m) => waiting?.(m));
  const next = () =>
    new Promise<unknown>((resolve, reject) => {
      if (failed) return reject(failed);
      waiting = (m) => (m instanceof Error ? reject(m) : resolve(m));
    });
  const ready = next().then(() => undefined);
  return {
    ready,
    async run(round) {
      const reply = next();
      child.send({ round });
      return (await reply) as MemoryRound;
    },
    close: () => child.disconnect(),
  };
}

/** The child's side of {@link memorySide}: loads the contract, says ready, runs each round it is sent. */
async function serveMemoryRounds(side: Side): Promise<void> {
  const contract = await loadModel();
  process.on('message', (m: { round: number }) => {
    memoryRound(side, contract, m.round).then(
      (r) => process.send!(r),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
  process.on('disconnect', () => process.exit(0));
  process.send!('ready');
}

/**
 * The memory jobs, each in a child process of its own (each of our algorithms, and rlf), as a
 * deployment runs one limiter over its keys: the same number of keys on every side, and no job
 * charged another's heap, garbage or cache misses (three of our jobs sharing one process ran at
 * about half their rate each: three times the state in the caches). The children take turns, one
 * round at a time, starting from a different one each round.
 */
async function memoryRounds(): Promise<Results> {
  const names: Side[] = [...ALGORITHMS.map((a) => a.job), 'rlf'];
  const sides = Object.fromEntries(names.map((name) => [name, memorySide(name)]));
  await Promise.all(Object.values(sides).map((side) => side.ready));
  const results: Results = {};
  try {
    for (let round = 0; round <= ROUNDS; round++) {
      const r: MemoryRound = {};
      for (let k = 0; k < names.length; k++) Object.assign(r, await sides[names[(k + round) % names.length]!]!.run(round));
      const ours = ALGORITHMS.map(({ job }) => `${job} ${fmt(r[job]!.dps)}/s (${fmt(r[job]!.cpu)}/cpu-s, p99 ${fmt(r[job]!.p99, 2)} µs)`).join(' · ');
      const line = `memory ${ours} · rlf memory ${fmt(r['rlf']!.dps)}/s (${fmt(r['rlf']!.cpu)}/cpu-s)`;
      console.log(round === 0 ? `warm-up  ${line}` : `round ${round}  ${line}`);
      if (round === 0) continue;
      for (const { job } of ALGORITHMS) {
        add(results, `memory_${job}`, r[job]!.dps);
        add(results, `memory_${job}_cpu`, r[job]!.cpu);
        add(results, `memory_${job}_p99_us`, r[job]!.p99);
      }
      add(results, 'rlf_memory', r['rlf']!.dps);
      add(results, 'rlf_memory_cpu', r['rlf']!.cpu);
    }
  } finally {
    for (const side of Object.values(sides)) side.close();
  }
  return results;
}

async function redisRounds(): Promise<{ results: Results; bytes: KeyBytes[] }> {
  const contract = await loadModel();
  const server = await startRedisServer();
  const redisStore = new RedisStore({ url: server.url });
  // the same store sending every decision as a script call of its own (no batching): shown beside
  const unbatched = new RedisStore({ url: server.url, batch: 1 });
  const rlfClient = new Redis(server.url, { enableOfflineQueue: false, enableAutoPipelining: true, maxRetriesPerRequest: 0 });
  rlfClient.on('error', () => {});
  const results: Results = {};
  try {
    if (!(await redisStore.ready(5000)) || !(await unbatched.ready(5000))) throw new Error('RedisStore did not connect');
    if (rlfClient.status !== 'ready') await new Promise((resolve) => rlfClient.once('ready', resolve));
    console.log(`redis-server ${server.port}, ${IN_FLIGHT} decisions in flight`);
    for (let round = 0; round <= ROUNDS; round++) {
      const rlf = new RateLimiterRedis({ storeClient: rlfClient, points: 1000, duration: 60, keyPrefix: `r${round}` });
      const jobs: [string, Slice][] = ALGORITHMS.map(({ job, algorithm }) => [
        job,
        concurrent(ourJob(variant(contract, algorithm, true), redisStore, 'ingestTrace', 'pro', round)),
      ]);
      jobs.push(['fixed_batch1', concurrent(ourJob(variant(contract, 'fixed-window', true), unbatched, 'ingestTrace', 'pro', round + 1000))]);
      jobs.push(['rlf', concurrent(rlfJob(rlf, round))]);
      jobs.push(['redis3', concurrent(ourJob(contract, redisStore, 'listTraces', 'enterprise', round))]);
      const counter3 = variant(contract, 'sliding-window-counter', false);
      jobs.push(['redis3_counter', concurrent(ourJob(counter3, redisStore, 'listTraces', 'enterprise', round))]);
      const t = await interleave(round, jobs, REDIS_MS);
      const r = Object.fromEntries(Object.entries(t).map(([name, tally]) => [name, { dps: perSecond(tally), p99: p99Ms(tally) }]));
      const show = (name: string, label = name) => `${label} ${fmt(r[name]!.dps)}/s (p99 ${fmt(r[name]!.p99, 2)} ms)`;
      const line = [
        ...ALGORITHMS.map(({ job }) => show(job)),
        show('fixed_batch1', 'fixed batch:1'),
        show('redis3'),
        show('redis3_counter'),
        show('rlf', 'rlf redis'),
      ].join(' · ');
      console.log(round === 0 ? `warm-up  redis ${line}` : `round ${round}  redis ${line}`);
      await redisStore.reset(); // keep Redis small between rounds (rlf keys expire by themselves)
      if (round === 0) continue;
      for (const { job } of ALGORITHMS) {
        add(results, `redis_${job}`, r[job]!.dps);
        add(results, `redis_${job}_p99_ms`, r[job]!.p99);
      }
      for (const name of ['fixed_batch1', 'redis3', 'redis3_counter']) {
        add(results, name, r[name]!.dps);
        add(results, `${name}_p99_ms`, r[name]!.p99);
      }
      add(results, 'rlf_redis', r['rlf']!.dps);
      add(results, 'rlf_redis_p99_ms', r['rlf']!.p99);
    }
    const bytes = await keyBytes(contract, redisStore);
    return { results, bytes };
  } finally {
    await redisStore.close();
    await unbatched.close();
    rlfClient.disconnect();
    await server.dispose();
  }
}

/** Redis memory of one active key of `policy` (a burst companion: `<policy>.burst`) on `plan`, filled to its limit. */
interface KeyBytes {
  policy: string;
  algorithm: string;
  /** A plan id, or `all` when every plan has the same limit. */
  plan: string;
  limit: number;
  bytes: number;
}

/** The limiter specs whose per-key memory the bench reports: each policy per distinct limit, its burst, and `default` as a counter. */
function byteSpecs(model: ContractModel): { policy: string; algorithm: string; plan: string; spec: LimiterSpec }[] {
  const out: { policy: string; algorithm: string; plan: string; spec: LimiterSpec }[] = [];
  const policies = [...Object.values(model.policies)];
  const counter = model.policies['default'] && { ...model.policies['default'], name: 'default', algorithm: 'sliding-window-counter' as const };
  if (counter) policies.splice(1, 0, counter);
  for (const policy of policies) {
    const limits = model.plans.map((p) => policy.limits[p.id]);
    const same = limits.every((l) => l === limits[0]) && (policy.burst === null || model.plans.every((p) => policy.burst![p.id] === null));
    for (const plan of same ? [model.plans[0]!] : model.plans) {
      const limit = policy.limits[plan.id];
      if (limit === null || limit === undefined) continue;
      const planName = same ? 'all' : plan.id;
      const w = policy.windowSeconds;
      const kind = kindOf(policy.algorithm);
      out.push({
        policy: policy.name,
        algorithm: policy.algorithm,
        plan: planName,
        spec: { name: policy.name, kind, limit, windowMs: w * 1000, windowSeconds: w },
      });
      const burst = policy.burst?.[plan.id];
      if (burst && policy.algorithm === model.policies[policy.name]?.algorithm) {
        const capacity = burstCapacity(limit, w, burst.multiplier, burst.seconds);
        const spec: LimiterSpec = { name: `${policy.name}.burst`, kind: 'gcra', limit: capacity, windowMs: burst.seconds * 1000, windowSeconds: burst.seconds };
        out.push({ policy: `${policy.name}.burst`, algorithm: 'token-bucket', plan: planName, spec });
      }
    }
  }
  return out;
}

/** Fills one key per spec to its limit (admissions spread over the window, as real traffic would be) and reads `MEMORY USAGE`. */
async function keyBytes(model: ContractModel, store: RedisStore): Promise<KeyBytes[]> {
  const out: KeyBytes[] = [];
  const t0 = Math.ceil(Date.now() / 86_400_000) * 86_400_000; // aligned to every window of the contract
  for (const { policy, algorithm, plan, spec } of byteSpecs(model)) {
    const key = `{t:bytes}:rl:${policy}:${algorithm}:${plan}`;
    for (let i = 0; i < spec.limit; i++) {
      const now = t0 + Math.floor((i * spec.windowMs) / (spec.limit + 1));
      const res = await store.evaluate({ now, consume: true, specs: [spec], keys: [key], usageKey: null, meters: [] });
      if (!res.allowed) throw new Error(`filling ${key}: refused at ${i} of ${spec.limit}`);
    }
    const bytes = Number(await store.client.call('MEMORY', 'USAGE', `tl:${key}`, 'SAMPLES', '0'));
    out.push({ policy, algorithm, plan, limit: spec.limit, bytes });
  }
  return out;
}

async function main(): Promise<void> {
  if (process.argv[2] === 'memory') {
    await serveMemoryRounds(process.argv[3] as Side);
    return;
  }
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `bench:policy on ${cpu} (${availableParallelism()} cores), Node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`${ROUNDS} rounds + 1 warm-up; memory ${MEMORY_MS} ms, redis ${REDIS_MS} ms per measurement\n`);
  const memory = await memoryRounds();
  const { results: redis, bytes } = await redisRounds();
  const m = Object.fromEntries(Object.entries({ ...memory, ...redis }).map(([k, v]) => [k, median(v)])) as Record<string, number>;
  console.log('\nmedians (decisions/s; ratio to rate-limiter-flexible in the same run):');
  for (const { job, algorithm } of ALGORITHMS) {
    console.log(
      `  ${algorithm.padEnd(22)} memory ${fmt(m[`memory_${job}`]!)}/s (${fmt(m[`memory_${job}`]! / m['rlf_memory']!, 2)}×; per CPU-second ${fmt(m[`memory_${job}_cpu`]! / m['rlf_memory_cpu']!, 2)}×; p99 ${fmt(m[`memory_${job}_p99_us`]!, 2)} µs)` +
        ` · redis ${fmt(m[`redis_${job}`]!)}/s (${fmt(m[`redis_${job}`]! / m['rlf_redis']!, 2)}×, p99 ${fmt(m[`redis_${job}_p99_ms`]!, 2)} ms)`,
    );
  }
  console.log(
    `  fixed-window, one script call per decision (batch: 1): redis ${fmt(m['fixed_batch1']!)}/s (${fmt(m['fixed_batch1']! / m['rlf_redis']!, 2)}×, p99 ${fmt(m['fixed_batch1_p99_ms']!, 2)} ms)`,
  );
  console.log(`  rate-limiter-flexible  memory ${fmt(m['rlf_memory']!)}/s · redis ${fmt(m['rlf_redis']!)}/s (p99 ${fmt(m['rlf_redis_p99_ms']!, 2)} ms)`);
  console.log(
    `  redis, 3 limiters in one trip: ${fmt(m['redis3']!)}/s (p99 ${fmt(m['redis3_p99_ms']!, 2)} ms); with default as a counter ${fmt(m['redis3_counter']!)}/s`,
  );
  console.log('\nRedis bytes per active key, filled to the limit (MEMORY USAGE), and for 100,000 such keys:');
  for (const b of bytes) {
    console.log(
      `  ${`${b.policy} (${b.algorithm})`.padEnd(44)} ${b.plan.padEnd(10)} limit ${String(b.limit).padStart(6)}  ${String(b.bytes).padStart(7)} B  ${mb100k(b.bytes).padStart(8)} MB`,
    );
  }
  const pairs: [string, string][] = [
    ['memory_dps', fmt(m['memory_fixed']!)],
    ['redis_dps', fmt(m['redis_fixed']!)],
    ['redis3_dps', fmt(m['redis3']!)],
    ['rlf_memory_dps', fmt(m['rlf_memory']!)],
    ['rlf_redis_dps', fmt(m['rlf_redis']!)],
    ['vs_rlf_memory', fmt(m['memory_fixed']! / m['rlf_memory']!, 2)],
    ['vs_rlf_memory_cpu', fmt(m['memory_fixed_cpu']! / m['rlf_memory_cpu']!, 2)],
    ['vs_rlf_redis', fmt(m['redis_fixed']! / m['rlf_redis']!, 2)],
    ['memory_p99_us', fmt(m['memory_fixed_p99_us']!, 2)],
    ['redis_p99_ms', fmt(m['redis_fixed_p99_ms']!, 2)],
  ];
  for (const { job } of ALGORITHMS.slice(1)) {
    pairs.push([`memory_${job}_dps`, fmt(m[`memory_${job}`]!)], [`redis_${job}_dps`, fmt(m[`redis_${job}`]!)]);
    pairs.push([`vs_rlf_memory_${job}`, fmt(m[`memory_${job}`]! / m['rlf_memory']!, 2)], [`vs_rlf_redis_${job}`, fmt(m[`redis_${job}`]! / m['rlf_redis']!, 2)]);
  }
  pairs.push(['redis3_counter_dps', fmt(m['redis3_counter']!)], ['redis3_p99_ms', fmt(m['redis3_p99_ms']!, 2)]);
  pairs.push(['redis_batch1_dps', fmt(m['fixed_batch1']!)], ['vs_rlf_redis_batch1', fmt(m['fixed_batch1']! / m['rlf_redis']!, 2)]);
  pairs.push(['redis_batch1_p99_ms', fmt(m['fixed_batch1_p99_ms']!, 2)], ['rlf_redis_p99_ms', fmt(m['rlf_redis_p99_ms']!, 2)]);
  for (const b of bytes) {
    const name = `${b.policy}${b.algorithm === 'sliding-window-counter' ? '_counter' : ''}.${b.plan}`;
    pairs.push([`bytes.${name}`, String(b.bytes)], [`mb100k.${name}`, mb100k(b.bytes)]);
  }
  console.log(`bench:policy ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`);
}

/** Megabytes (10^6 bytes) that 100,000 keys of `bytes` each take. */
const mb100k = (bytes: number) => ((bytes * 100_000) / 1e6).toFixed(1);

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
