/**
 * `npm run bench:mock`: requests/s of the Prism CLI, our mock (policy enforcement on) and a bare
 * node:http server returning the same bytes, measured in one run with autocannon. Each server
 * runs in its own process; autocannon runs here. Rounds alternate targets; medians are reported.
 * Ours and bare, the pair of the "half of bare" target, take turns within a round in 1-second
 * slices (starting with the other one each round), so both meet the same share of whatever else
 * the machine is doing: on a shared machine their figures drift by a third within a minute.
 * The summary line also records the machine's 1-minute load average at the start and the end
 * (other work on the cores moves every figure; the ratios come from the same run).
 * `BENCH_CPU_PROF=DIR` runs our mock (the process of the stateful and Prism-path rows) under
 * `node --cpu-prof` and writes its profile to DIR when the run ends: where the time goes, by function.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { repoRoot } from '../src/contract/index.js';
import { findRedisServer, startRedisServer, type RedisServer } from './lib/redis-server.js';

const KEY = 'tl_test_enterprise_00000000000000000001';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = 32;
const CPU_PROF = process.env.BENCH_CPU_PROF;
const load1 = () => Math.round(loadavg()[0]! * 100) / 100;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Proc {
  url: string;
  child: ChildProcess;
  readyMs: number;
}

async function start(args: string[], ready: RegExp, port: number): Promise<Proc> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`not ready in 60 s: ${args.join(' ')}\n${log}`)), 60_000);
    const on = (c: Buffer) => {
      log += c.toString();
      if (ready.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${args.join(' ')}\n${log}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child, readyMs: performance.now() - t0 };
}

function stop(p: Proc): Promise<void> {
  return new Promise((resolve) => {
    p.child.removeAllListeners('exit');
    p.child.once('exit', () => resolve());
    p.child.kill('SIGTERM');
  });
}

interface Run {
  rps: number;
  p99: number;
  non2xx: number;
}

async function load(url: string, headers: Record<string, string>, extra: Partial<autocannon.Options> = {}): Promise<Run> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers, ...extra });
  return { rps: result.requests.average, p99: result.latency.p99, non2xx: result.non2xx };
}

/**
 * `a` and `b` in alternating 1-second slices, SECONDS of each in all (`round` picks who starts):
 * requests/s over each side's slices, p99 the worst slice's.
 */
async function paired(round: number, a: string, b: string, headers: Record<string, string>): Promise<[Run, Run]> {
  const tally = [
    { n: 0, s: 0, p99: 0, non2xx: 0 },
    { n: 0, s: 0, p99: 0, non2xx: 0 },
  ];
  const urls = [a, b];
  for (let slice = 0; slice < 2 * SECONDS; slice++) {
    const side = (slice + round) % 2;
    const r = await autocannon({ url: urls[side]!, connections: CONNECTIONS, duration: 1, headers });
    const t = tally[side]!;
    t.n += r.requests.total;
    t.s += r.duration;
    t.p99 = Math.max(t.p99, r.latency.p99);
    t.non2xx += r.non2xx;
  }
  const run = (t: (typeof tally)[number]): Run => ({ rps: t.n / t.s, p99: t.p99, non2xx: t.non2xx });
  return [run(tally[0]!), run(tally[1]!)];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main() {
  const loadStart = load1();
  const tsx = ['--import', 'tsx'];
  const [pPrism, pOurs, pBare] = await Promise.all([freePort(), freePort(), freePort()]);
  const prism = await start(
    [
      join(repoRoot, 'node_modules/@stoplight/prism-cli/dist/index.js'),
      'mock',
      '--host',
      '127.0.0.1',
      '--port',
      String(pPrism),
      join(repoRoot, 'generated/openapi.json'),
    ],
    /Prism is listening/,
    pPrism,
  );
  // Enforcement on, limits raised so the run measures admitted requests, not 429s.
  const ours = await start(
    [
      ...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`] : []),
      ...tsx,
      join(repoRoot, 'src/cli.ts'),
      'mock',
      '--port',
      String(pOurs),
      '--no-watch',
      '--quiet',
      '--policy',
      'default=1000000000/60s',
      '--policy',
      'reads=1000000000/1s',
    ],
    /Traceloom mock ready in (\d+) ms/,
    pOurs,
  );
  const readyLine = /ready in (\d+) ms/;
  const auth = { authorization: `Bearer ${KEY}` };
  // The bare server returns exactly our /v1/usage bytes and headers.
  const sample = await fetch(`${ours.url}/v1/usage`, { headers: auth });
  const bytes = await sample.text();
  const sampleHeaders = Object.fromEntries([...sample.headers].filter(([k]) => !['date', 'connection', 'keep-alive', 'content-length'].includes(k)));
  const bareSrc = `require('http').createServer((q,s)=>{s.writeHead(200,${JSON.stringify(sampleHeaders)});s.end(${JSON.stringify(bytes)})}).listen(${pBare},'127.0.0.1',()=>console.log('bare ready'))`;
  const bare = await start(['-e', bareSrc], /bare ready/, pBare);

  // Startup to ready: createMock's own figure, as printed by the banner (median of 3 cold starts).
  const startups: number[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const p = await start([...tsx, join(repoRoot, 'src/cli.ts'), 'mock', '--port', String(port), '--no-watch', '--quiet'], readyLine, port);
    startups.push(p.readyMs);
    await stop(p);
  }

  // `--redis` rows: the same stateful GET, and a stateful POST (a fresh trace id per request), on
  // a mock whose whole state lives in a local redis-server; side by side with the Prism CLI.
  let redis: RedisServer | null = null;
  let oursRedis: Proc | null = null;
  if (findRedisServer() && process.env.BENCH_REDIS !== '0') {
    redis = await startRedisServer();
    const pRedis = await freePort();
    oursRedis = await start(
      [
        ...tsx,
        join(repoRoot, 'src/cli.ts'),
        'mock',
        '--port',
        String(pRedis),
        '--no-watch',
        '--quiet',
        '--redis',
        redis.url,
        '--policy',
        'default=1000000000/60s',
        '--policy',
        'reads=1000000000/1s',
      ],
      readyLine,
      pRedis,
    );
  }
  let traceSeq = 0;
  const ingestBody = () =>
    JSON.stringify({ trace_id: `tr_${(traceSeq++).toString(16).padStart(16, '0')}`, name: 'bench', start_time: '2026-03-03T12:00:00Z', spans: [] });
  // A fresh trace id for every request, the first of each connection included (else 409s).
  const post = {
    method: 'POST' as const,
    setupClient: (c: { setBody(b: string): void; on(e: string, f: () => void): void }) => {
      c.setBody(ingestBody());
      c.on('response', () => c.setBody(ingestBody()));
    },
  };
  const postHeaders = { ...auth, 'content-type': 'application/json' };

  const rows: Record<string, Run[]> = {
    prism: [],
    prism_prefer: [],
    ours: [],
    ours_prism_path: [],
    bare: [],
    ...(oursRedis ? { ours_redis_get: [], ours_redis_post: [], prism_post: [] } : {}),
  };
  for (let round = 0; round < ROUNDS; round++) {
    if (oursRedis) {
      rows.ours_redis_get!.push(await load(`${oursRedis.url}/v1/usage`, auth));
      rows.ours_redis_post!.push(await load(`${oursRedis.url}/v1/ingest`, postHeaders, post as Partial<autocannon.Options>));
      rows.prism_post!.push(await load(`${prism.url}/v1/ingest`, postHeaders, post as Partial<autocannon.Options>));
    }
    const [oursRun, bareRun] = await paired(round, `${ours.url}/v1/usage`, `${bare.url}/v1/usage`, auth);
    rows.ours!.push(oursRun);
    rows.bare!.push(bareRun);
    rows.ours_prism_path!.push(await load(`${ours.url}/v1/usage`, { ...auth, prefer: 'code=200' }));
    rows.prism!.push(await load(`${prism.url}/v1/usage`, auth));
    rows.prism_prefer!.push(await load(`${prism.url}/v1/usage`, { ...auth, prefer: 'code=200' }));
  }
  // Latency at a steady 1,000 req/s on a fresh instance with limits a real tenant could have
  // (the throughput rounds above raise them to 1e9, which fills the exact sliding log with
  // hundreds of thousands of timestamps per key). Three warm-up seconds, then the measured runs.
  const pPaced = await freePort();
  const pacedMock = await start(
    [
      ...tsx,
      join(repoRoot, 'src/cli.ts'),
      'mock',
      '--port',
      String(pPaced),
      '--no-watch',
      '--quiet',
      '--policy',
      'default=100000/60s',
      '--policy',
      'reads=100000/1s',
    ],
    readyLine,
    pPaced,
  );
  const pacedOptions = { overallRate: 1000, connections: 10 } as Partial<autocannon.Options>;
  // Prism's modules load in the background right after ready and hold the event loop for about a
  // second: warm up past that, so the measured runs see the steady state the target is about.
  await load(`${pacedMock.url}/v1/usage`, auth, { ...pacedOptions, duration: 3 });
  const pacedRuns: Run[] = [];
  for (let i = 0; i < 3; i++) pacedRuns.push(await load(`${pacedMock.url}/v1/usage`, auth, { ...pacedOptions, duration: 4 }));
  await stop(pacedMock);
  const paced = { p99: median(pacedRuns.map((r) => r.p99)), rps: median(pacedRuns.map((r) => r.rps)), non2xx: pacedRuns.reduce((n, r) => n + r.non2xx, 0) };

  await Promise.all([stop(prism), stop(ours), stop(bare), ...(oursRedis ? [stop(oursRedis)] : [])]);
  await redis?.dispose();
  const med = (k: string, f: keyof Run) => median(rows[k]!.map((r) => r[f]));
  const ours_rps = med('ours', 'rps');
  const prism_rps = med('prism', 'rps');
  const bare_rps = med('bare', 'rps');
  const ours_prism_path_rps = med('ours_prism_path', 'rps');
  const prism_prefer_rps = med('prism_prefer', 'rps');
  const non2xx = Object.values(rows)
    .flat()
    .reduce((n, r) => n + r.non2xx, 0);
  const loadEnd = load1();
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`);
  console.log(`load average (1 min): ${loadStart} at the start, ${loadEnd} at the end`);
  console.log(`rounds: ${ROUNDS} × ${SECONDS} s, ${CONNECTIONS} connections; medians of requests/s (p99 ms)`);
  for (const [k, runs] of Object.entries(rows))
    console.log(
      `  ${k.padEnd(16)} ${Math.round(med(k, 'rps')).toString().padStart(7)} req/s  p99 ${med(k, 'p99')} ms   runs: ${runs.map((r) => Math.round(r.rps)).join(', ')}`,
    );
  console.log(
    `  ours at 1,000 req/s (fresh instance, default=100000/60s): p99 ${paced.p99} ms, median of ${pacedRuns.map((r) => r.p99).join(', ')} (${Math.round(paced.rps)} req/s achieved, ${paced.non2xx} non-2xx)`,
  );
  console.log(
    `  startup to ready (createMock): ${startups.map((s) => Math.round(s)).join(', ')} ms incl. process start; non-2xx answers in all runs: ${non2xx}`,
  );
  const r2 = (x: number) => Math.round(x * 100) / 100;
  const redisRows = oursRedis
    ? ` redis_get_rps=${Math.round(med('ours_redis_get', 'rps'))} redis_post_rps=${Math.round(med('ours_redis_post', 'rps'))} prism_post_rps=${Math.round(med('prism_post', 'rps'))} redis_get_vs_prism=${r2(med('ours_redis_get', 'rps') / prism_rps)} redis_post_vs_prism=${r2(med('ours_redis_post', 'rps') / med('prism_post', 'rps'))}`
    : '';
  console.log(
    `bench:mock ours_rps=${Math.round(ours_rps)} ours_prism_path_rps=${Math.round(ours_prism_path_rps)} prism_rps=${Math.round(prism_rps)} prism_prefer_rps=${Math.round(prism_prefer_rps)} bare_rps=${Math.round(bare_rps)} vs_prism=${r2(ours_rps / prism_rps)} vs_bare=${Math.round((ours_rps / bare_rps) * 1000) / 1000} prism_path_vs_prism=${r2(ours_prism_path_rps / prism_prefer_rps)} p99_ms=${paced.p99} startup_ms=${Math.round(median(startups))}${redisRows} load1_start=${loadStart} load1_end=${loadEnd}`,
  );
}

await main();
