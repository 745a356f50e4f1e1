/**
 * `npm run bench`: runs `bench:policy`, `bench:mock` and `bench:client` one after another as
 * child processes (each on an otherwise idle machine, as far as this script is concerned),
 * reads each one's final `bench:<name> key=value …` line (DESIGN §9), and writes
 * generated/bench/: `report.md` (the machine, each comparison side by side with ratios, an SVG
 * chart per comparison), `summary.json`, the charts, and each bench's full output as `<name>.log`.
 *
 * Sizes default to a run of about six minutes on two cores; override with
 * `BENCH_POLICY_ROUNDS` (default 5), `BENCH_MOCK_ROUNDS` (5), `BENCH_SECONDS` (4, per mock
 * measurement), `BENCH_TRACES` (3000, client), `BENCH_TIMEOUT_S` (300, per bench), or
 * `BENCH_QUICK=1` for a smoke run of the whole pipeline in about a minute (figures not comparable).
 * A bench that is missing from package.json is reported as not run; one that fails is reported
 * with its exit code and the report is still written, then this script exits 1.
 * `npm run bench -- --from-logs` renders the report again from the last run's `<name>.log` files.
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../src/contract/index.js';
import { barChart, formatNumber, type Bar } from './lib/svg.js';
import { keyBytesRows, keyBytesTable } from './lib/key-bytes.js';
import { parseSummary, type SummaryValue } from './lib/summary.js';

const OUT = join(repoRoot, 'generated', 'bench');
const QUICK = process.env.BENCH_QUICK === '1';
const env = (name: string, normal: string, quick: string) => process.env[name] ?? (QUICK ? quick : normal);
const TIMEOUT_S = Number(env('BENCH_TIMEOUT_S', '300', '120'));
const FROM_LOGS = process.argv.includes('--from-logs');

interface BenchSpec {
  name: string;
  /** Environment for the child, on top of ours. */
  env: Record<string, string>;
}

const BENCHES: BenchSpec[] = [
  { name: 'policy', env: { BENCH_ROUNDS: env('BENCH_POLICY_ROUNDS', process.env.BENCH_ROUNDS ?? '5', '1') } },
  { name: 'mock', env: { BENCH_ROUNDS: env('BENCH_MOCK_ROUNDS', process.env.BENCH_ROUNDS ?? '5', '1'), BENCH_SECONDS: env('BENCH_SECONDS', '4', '1') } },
  { name: 'client', env: { BENCH_TRACES: env('BENCH_TRACES', '3000', '400') } },
];

interface BenchRun {
  name: string;
  script: string;
  status: 'ok' | 'failed' | 'missing';
  /** Why it is not `ok`. */
  reason?: string;
  seconds: number;
  settings: Record<string, string>;
  line: string | null;
  values: Record<string, SummaryValue>;
}

/** Runs `npm run --silent <script>` in its own process group, echoing and capturing its output. */
function runScript(script: string, extraEnv: Record<string, string>): Promise<{ code: number | null; output: string; seconds: number; timedOut: boolean }> {
  const t0 = performance.now();
  const child = spawn('npm', ['run', '--silent', script], {
    cwd: repoRoot,
    env: { ...process.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const echo = (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    process.stdout.write(text.replace(/^(?=.)/gm, `  [${script}] `));
  };
  child.stdout!.on('data', echo);
  child.stderr!.on('data', echo);
  let timedOut = false;
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup('SIGTERM');
    setTimeout(() => killGroup('SIGKILL'), 5000).unref();
  }, TIMEOUT_S * 1000);
  // If this script is interrupted, do not leave the bench (and its servers) running.
  const onExit = () => killGroup('SIGKILL');
  process.once('exit', onExit);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      process.off('exit', onExit);
      resolve({ code, output, seconds: (performance.now() - t0) / 1000, timedOut });
    });
  });
}

/** The last run's output of bench `name` (for `--from-logs`); its settings are the current ones. */
function fromLog(name: string): { code: number | null; output: string; seconds: number; timedOut: boolean } {
  try {
    return { code: 0, output: readFileSync(join(OUT, `${name}.log`), 'utf8'), seconds: NaN, timedOut: false };
  } catch {
    return { code: null, output: '', seconds: NaN, timedOut: false };
  }
}

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repoRoot, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
}

function machine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown',
    cores: cpu.length,
    available_parallelism: availableParallelism(),
    memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${osType()} ${release()} ${process.arch}`,
    load_average_at_start: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

// ---- reading the figures -------------------------------------------------------------------

const num = (run: BenchRun | undefined, key: string): number => {
  const v = run?.values[key];
  return typeof v === 'number' ? v : NaN;
};
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN);
// Below 1×, three decimals: a ratio just under a target (0.498×) must not print as the target.
const times = (x: number) => (Number.isFinite(x) ? `${x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3)}×` : '—');
const pct = (x: number, digits = 1) => (Number.isFinite(x) ? `${(x * 100).toFixed(digits)}%` : '—');
const n0 = (x: number) => (Number.isFinite(x) ? formatNumber(x) : '—');
const n2 = (x: number) => (Number.isFinite(x) ? formatNumber(x, 2) : '—');
const round = (x: number, digits = 3) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : null);

/** A Markdown table; cells are already text; `align` has one `l` or `r` per column. */
function table(head: string[], rows: string[][], align: string): string {
  const rule = head.map((_, i) => (align[i] === 'r' ? '---:' : '---'));
  return [head, rule, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

interface Section {
  markdown: string;
  charts: Record<string, string>;
  ratios: Record<string, number | null>;
}

function notRun(title: string, run: BenchRun | undefined, what: string): Section {
  const why = !run ? 'not run' : run.status === 'missing' ? run.reason! : `failed: ${run.reason}`;
  return { markdown: `## ${title}\n\n**No figures: \`npm run bench:${what}\` ${why}.**\n`, charts: {}, ratios: {} };
}

function mockSection(run: BenchRun | undefined): Section {
  const title = 'Mock server: Prism CLI vs our mock vs bare node:http';
  if (run?.status !== 'ok') return notRun(title, run, 'mock');
  const ours = num(run, 'ours_rps');
  const oursPrism = num(run, 'ours_prism_path_rps');
  const prism = num(run, 'prism_rps');
  const prismPrefer = num(run, 'prism_prefer_rps');
  const bare = num(run, 'bare_rps');
  const rows: [string, number, Bar['tone'], string][] = [
    ['bare node:http, same bytes', bare, 'other', 'the ceiling: no work per request'],
    ['Traceloom mock', ours, 'ours', 'full pipeline: auth, rate limits, quotas, answer from state'],
    ['Traceloom mock, Prefer (Prism path)', oursPrism, 'ours', 'full pipeline, answer from Prism in-process'],
    ['Prism CLI', prism, 'other', '`prism mock`, no rate limits'],
    ['Prism CLI, Prefer: code=200', prismPrefer, 'other', '`prism mock` asked for an example'],
  ];
  const chart = barChart({
    title: 'Mock server throughput (requests/s, higher is better)',
    subtitle: `GET /v1/usage over loopback, median of ${run.settings['BENCH_ROUNDS']} rounds × ${run.settings['BENCH_SECONDS']} s (autocannon, 32 connections)`,
    bars: rows.map(([label, value, tone]) => ({
      label,
      value,
      tone,
      note: Number.isFinite(value) ? `${formatNumber(value)} req/s · ${times(ratio(value, prism))} Prism CLI` : 'not measured',
    })),
  });
  const redisGet = num(run, 'redis_get_rps');
  const redisPost = num(run, 'redis_post_rps');
  const prismPost = num(run, 'prism_post_rps');
  const p99 = num(run, 'p99_ms');
  const ratios = {
    mock_vs_prism: round(ratio(ours, prism), 2),
    mock_vs_bare: round(ratio(ours, bare), 3),
    mock_prism_path_vs_prism_prefer: round(ratio(oursPrism, prismPrefer), 2),
    prism_vs_bare: round(ratio(prism, bare), 3),
    mock_redis_get_vs_prism: round(ratio(redisGet, prism), 2),
    mock_redis_post_vs_prism_post: round(ratio(redisPost, prismPost), 2),
  };
  // Issue 16's targets, each from this run's own figures (measured, target, met).
  const targets: string[][] = [
    ['stateful path vs bare node:http (same bytes)', times(ratio(ours, bare)), '≥ 0.5×', atLeast(ratio(ours, bare), 0.5)],
    [
      'p99 at a steady 1,000 req/s',
      Number.isFinite(p99) ? `${formatNumber(p99, Number.isInteger(p99) ? 0 : 2)} ms` : '—',
      '≤ 10 ms',
      !Number.isFinite(p99) ? 'not measured' : p99 <= 10 ? 'met' : '**not met**',
    ],
    ['stateful path vs Prism CLI', times(ratio(ours, prism)), '≥ 10× (DESIGN §5: ≥ 5×)', atLeast(ratio(ours, prism), 10)],
    ['`--redis` stateful GET vs Prism CLI', times(ratio(redisGet, prism)), '≥ 5×', atLeast(ratio(redisGet, prism), 5)],
    ['`--redis` POST /v1/ingest vs Prism CLI POST', times(ratio(redisPost, prismPost)), '≥ 5×', atLeast(ratio(redisPost, prismPost), 5)],
  ];
  const load = `${num(run, 'load1_start')} at the start, ${num(run, 'load1_end')} at the end`;
  const markdown = [
    `## ${title}`,
    '',
    `Our mock serves **${times(ratio(ours, prism))}** the requests/s of Prism's CLI (DESIGN §5 asks for at least 5×: ${ratio(ours, prism) >= 5 ? 'met' : '**not met**'}) and **${pct(ratio(ours, bare), 1)}** of a bare \`node:http\` server that returns the same bytes without doing any work. Prism's CLI itself manages ${pct(ratio(prism, bare), 0)} of bare node:http.`,
    '',
    '![Mock server throughput](mock.svg)',
    '',
    table(
      ['server', 'req/s', 'vs Prism CLI', 'vs bare node:http', 'what it does'],
      rows.map(([label, value, , what]) => [label, n0(value), times(ratio(value, prism)), pct(ratio(value, bare), 0), what]),
      'lrrrl',
    ),
    '',
    'Several instances (`--redis`: the whole state in a local redis-server, read and written on every request):',
    '',
    table(
      ['row', 'req/s', 'Prism CLI, same request', 'ratio'],
      [
        ['`--redis`, stateful `GET /v1/usage`', n0(redisGet), n0(prism), times(ratio(redisGet, prism))],
        ['`--redis`, `POST /v1/ingest` (a fresh trace id each)', n0(redisPost), n0(prismPost), times(ratio(redisPost, prismPost))],
      ],
      'lrrr',
    ),
    '',
    `Targets (issue 16), from this run; load average (1 min) of the machine during the mock bench: ${load}.`,
    '',
    table(['what', 'measured', 'target', ''], targets, 'lrll'),
    '',
    `Our mock at a steady 1,000 req/s: p99 **${formatNumber(num(run, 'p99_ms'), Number.isInteger(num(run, 'p99_ms')) ? 0 : 2)} ms**. Start-up to ready: ${n0(num(run, 'startup_ms'))} ms (median of 3 cold starts of \`traceloom mock\`, process and tsx start included).`,
    '',
    'Method (bench/mock.ts): each server in its own process, autocannon in another; rounds alternate servers, and within a round our mock and bare node:http take turns in 1-second slices (both meet the same machine state); medians over rounds. Our mock runs with policy enforcement on and limits raised so every request is admitted (a 429 is cheaper than an answer).',
    '',
  ].join('\n');
  return { markdown, charts: { 'mock.svg': chart }, ratios };
}

/** A target's verdict from this run's own figure. */
const atLeast = (x: number, target: number) => (!Number.isFinite(x) ? 'not measured' : x >= target ? 'met' : '**not met**');

/** The single-policy rows of bench:policy: `fixed` (memory_dps/redis_dps) is the head-to-head one, rlf's algorithm. */
const POLICY_ROWS = [
  { label: 'fixed-window (head-to-head: rlf is a fixed window)', memory: 'memory_dps', redis: 'redis_dps', p99: 'memory_p99_us', redisP99: 'redis_p99_ms' },
  { label: 'sliding-window-counter (≤ 2L − 1 in any window)', memory: 'memory_counter_dps', redis: 'redis_counter_dps', p99: '', redisP99: '' },
  { label: 'sliding-window, exact log (≤ L in any window)', memory: 'memory_log_dps', redis: 'redis_log_dps', p99: '', redisP99: '' },
];

function policySection(run: BenchRun | undefined): Section {
  const title = 'Policy engine: our stores vs rate-limiter-flexible';
  if (run?.status !== 'ok') return notRun(title, run, 'policy');
  const memory = num(run, 'memory_dps');
  const rlfMemory = num(run, 'rlf_memory_dps');
  const redis = num(run, 'redis_dps');
  const redis3 = num(run, 'redis3_dps');
  const redis3Counter = num(run, 'redis3_counter_dps');
  const rlfRedis = num(run, 'rlf_redis_dps');
  const note = (v: number, base: number) => (Number.isFinite(v) ? `${formatNumber(v)}/s · ${times(ratio(v, base))}` : 'not measured');
  const memoryChart = barChart({
    title: 'Rate limiting in memory (decisions/s, higher is better)',
    subtitle: 'check and consume one unit for one of 10,000 keys; one process, back to back; ratio vs rate-limiter-flexible',
    bars: [
      ...POLICY_ROWS.map((r) => ({
        label: `Traceloom ${r.label.split(' ')[0]}`,
        value: num(run, r.memory),
        tone: 'ours' as const,
        note: note(num(run, r.memory), rlfMemory),
      })),
      { label: 'RateLimiterMemory (rlf)', value: rlfMemory, tone: 'other', note: note(rlfMemory, rlfMemory) },
    ],
  });
  const redisChart = barChart({
    title: 'Rate limiting on Redis (decisions/s, higher is better)',
    subtitle: 'one round trip per decision (ours: up to 16 per script call), 64 in flight, real redis-server on loopback; ratio vs rlf',
    bars: [
      ...POLICY_ROWS.map((r) => ({
        label: `Traceloom ${r.label.split(' ')[0]}`,
        value: num(run, r.redis),
        tone: 'ours' as const,
        note: note(num(run, r.redis), rlfRedis),
      })),
      { label: 'Traceloom, 3 policies at once', value: redis3, tone: 'ours', note: note(redis3, rlfRedis) },
      { label: 'RateLimiterRedis (rlf)', value: rlfRedis, tone: 'other', note: note(rlfRedis, rlfRedis) },
    ],
  });
  const ratios = {
    memory_vs_rlf: round(ratio(memory, rlfMemory), 2),
    redis_vs_rlf: round(ratio(redis, rlfRedis), 2),
    memory_counter_vs_rlf: round(ratio(num(run, 'memory_counter_dps'), rlfMemory), 2),
    redis_counter_vs_rlf: round(ratio(num(run, 'redis_counter_dps'), rlfRedis), 2),
    memory_log_vs_rlf: round(ratio(num(run, 'memory_log_dps'), rlfMemory), 2),
    redis_log_vs_rlf: round(ratio(num(run, 'redis_log_dps'), rlfRedis), 2),
    redis3_vs_rlf: round(ratio(redis3, rlfRedis), 2),
    redis_batch1_vs_rlf: round(ratio(num(run, 'redis_batch1_dps'), rlfRedis), 2),
  };
  const p99 = (key: string, unit: string) => (key ? `${n2(num(run, key))} ${unit}` : '—');
  const bytes = keyBytesRows(run.values);
  const policyTargets: string[][] = [
    ['memory, 1 policy, vs rlf (fixed window both)', times(ratio(memory, rlfMemory)), '≥ 1.0×', atLeast(ratio(memory, rlfMemory), 1)],
    ['Redis, 1 policy, vs rlf (fixed window both)', times(ratio(redis, rlfRedis)), '≥ 1.0×', atLeast(ratio(redis, rlfRedis), 1)],
    ['Redis, 3 policies in one trip', `${n0(redis3)}/s`, '≥ 30,000/s', atLeast(redis3, 30_000)],
  ];
  const markdown = [
    `## ${title}`,
    '',
    `Same algorithm on both sides (a fixed window), our engine makes **${times(ratio(memory, rlfMemory))}** the decisions/s of rate-limiter-flexible's \`RateLimiterMemory\` in memory and **${times(ratio(redis, rlfRedis))}** those of \`RateLimiterRedis\` on Redis. With three policies checked and consumed atomically in one trip (what \`GET /v1/traces\` on the enterprise plan needs, \`default\` as the contract's exact log) it makes **${n0(redis3)}/s** (${n0(redis3Counter)}/s with \`default\` as a sliding-window counter).`,
    '',
    '![Rate limiting in memory](policy-memory.svg)',
    '',
    '![Rate limiting on Redis](policy-redis.svg)',
    '',
    table(
      ['job (our algorithm)', 'memory', 'vs rlf', 'Redis', 'vs rlf', 'p99 memory', 'p99 Redis'],
      [
        ...POLICY_ROWS.map((r) => [
          r.label,
          `${n0(num(run, r.memory))}/s`,
          times(ratio(num(run, r.memory), rlfMemory)),
          `${n0(num(run, r.redis))}/s`,
          times(ratio(num(run, r.redis), rlfRedis)),
          p99(r.p99, 'µs'),
          p99(r.redisP99, 'ms'),
        ]),
        [
          '… one script call per decision (`batch: 1`)',
          '—',
          '—',
          `${n0(num(run, 'redis_batch1_dps'))}/s`,
          times(ratio(num(run, 'redis_batch1_dps'), rlfRedis)),
          '—',
          p99('redis_batch1_p99_ms', 'ms'),
        ],
        ['rate-limiter-flexible (fixed window)', `${n0(rlfMemory)}/s`, '1×', `${n0(rlfRedis)}/s`, '1×', '—', p99('rlf_redis_p99_ms', 'ms')],
        ['Redis, 3 policies in one trip (log + GCRA + fixed)', '—', '—', `${n0(redis3)}/s`, times(ratio(redis3, rlfRedis)), '—', p99('redis3_p99_ms', 'ms')],
        ['… with `default` as a sliding-window counter', '—', '—', `${n0(redis3Counter)}/s`, times(ratio(redis3Counter, rlfRedis)), '—', '—'],
      ],
      'lrrrrrr',
    ),
    '',
    "Medians over rounds after a warm-up; bench/policy.ts describes the jobs and the method. Every row returns the full decision with each policy's state for the rate-limit headers; rlf returns one counter. On Redis our store sends the decisions asked for in the same tick together, up to 16 in one script call (the `batch` option); the `batch: 1` row is the same store sending one call per decision, as rlf does.",
    '',
    table(['target (issue 16)', 'measured', 'target', ''], policyTargets, 'lrll'),
    '',
    ...(bytes.length > 0
      ? [
          '### Redis memory per active key',
          '',
          "One key per policy filled to each plan's limit, then `MEMORY USAGE` (key name included); ×100,000 for 100,000 active keys. `default_counter` is `default` as a sliding-window counter (not what the contract uses).",
          '',
          keyBytesTable(bytes, formatNumber),
          '',
        ]
      : []),
  ].join('\n');
  return { markdown, charts: { 'policy-memory.svg': memoryChart, 'policy-redis.svg': redisChart }, ratios };
}

function clientSection(run: BenchRun | undefined): Section {
  const title = 'Client: our client vs naive retry loops';
  if (run?.status !== 'ok') return notRun(title, run, 'client');
  const sides: { label: string; key: string; tone: Bar['tone']; what: string }[] = [
    { label: 'Traceloom client', key: 'ours', tone: 'ours', what: 'Retry-After / RateLimit pacing, capped backoff with jitter, shared gate' },
    { label: 'naive loop A', key: 'naive', tone: 'other', what: '2^attempt + jitter s on 429, 3 attempts, then gives up' },
    { label: 'naive loop B', key: 'naive2', tone: 'other', what: 'Retry-After (else 2^attempt s) + jitter, 5 attempts' },
  ];
  const goodput = (key: string) => num(run, `${key}_goodput`);
  const share = (key: string) => num(run, `${key}_429_share`);
  const lost = (key: string) => (key === 'ours' ? num(run, 'lost') : num(run, `${key}_lost`));
  const goodputChart = barChart({
    title: 'Single-trace ingest under a rate limit: goodput (higher is better)',
    subtitle: `share of the limit's sustained rate turned into stored traces; ${run.settings['BENCH_TRACES']} traces, same concurrency on every side`,
    format: (v) => `${Math.round(v * 100)}%`,
    max: 1,
    bars: sides.map((s) => ({
      label: s.label,
      value: goodput(s.key),
      tone: s.tone,
      note: Number.isFinite(goodput(s.key)) ? `${pct(goodput(s.key))} · ${n0(lost(s.key))} lost` : 'not measured',
    })),
  });
  const shareChart = barChart({
    title: 'Requests refused with 429 (lower is better)',
    subtitle: 'share of all HTTP attempts a side made that the mock answered 429',
    format: (v) => `${Number((v * 100).toFixed(2))}%`,
    bars: [
      ...sides.map((s) => ({ label: s.label, value: share(s.key), tone: s.tone, note: pct(share(s.key)) })),
      { label: 'Traceloom batcher', value: num(run, 'batcher_429_share'), tone: 'ours' as const, note: pct(num(run, 'batcher_429_share')) },
    ],
  });
  const ratios = {
    client_goodput_vs_naive: round(ratio(goodput('ours'), goodput('naive')), 2),
    client_goodput_vs_naive2: round(ratio(goodput('ours'), goodput('naive2')), 2),
  };
  const markdown = [
    `## ${title}`,
    '',
    `Draining traces one request each through the mock under a small \`default\` limit, our client reaches **${pct(goodput('ours'))}** of the limit's sustained rate (${times(ratio(goodput('ours'), goodput('naive')))} naive loop A, ${times(ratio(goodput('ours'), goodput('naive2')))} naive loop B) with **${pct(share('ours'))}** of its requests refused with 429, against ${pct(share('naive'))} and ${pct(share('naive2'))}. Lost: ${n0(lost('ours'))} (our client and batcher together), ${n0(lost('naive'))} (A), ${n0(lost('naive2'))} (B); duplicates on our side: ${n0(num(run, 'dups'))}. Our batcher (the recommended ingest path: many traces per request) moves **${n0(num(run, 'batcher_traces_per_s'))} traces/s** under the same limit.`,
    '',
    '![Goodput](client-goodput.svg)',
    '',
    '![429 share](client-429.svg)',
    '',
    table(
      ['side', 'goodput', 'vs ours', '429 share', 'lost', 'retry policy'],
      sides.map((s) => [
        s.label,
        pct(goodput(s.key)),
        times(ratio(goodput(s.key), goodput('ours'))),
        pct(share(s.key)),
        `${n0(lost(s.key))}${s.key === 'ours' ? ' ¹' : ''}`,
        s.what,
      ]),
      'lrrrrl',
    ),
    '',
    '¹ bench:client reports one `lost` figure for our client and our batcher together.',
    '',
    "Goodput = the fastest possible drain time (the limit's first window is free) ÷ the time taken, counting only traces stored; see bench/client.ts.",
    '',
  ].join('\n');
  return { markdown, charts: { 'client-goodput.svg': goodputChart, 'client-429.svg': shareChart }, ratios };
}

// ---- main ----------------------------------------------------------------------------------

/** What `--from-logs` keeps from the last run's summary.json: when, where and how it ran. */
interface Previous {
  generated_at: string;
  seconds: number;
  commit: string;
  quick: boolean;
  machine: ReturnType<typeof machine> & { load_average_at_end: number[] };
  benches: Record<string, { seconds: number; settings: Record<string, string> }>;
}

function readPrevious(): Previous {
  try {
    return JSON.parse(readFileSync(join(OUT, 'summary.json'), 'utf8')) as Previous;
  } catch (err) {
    throw new Error(`--from-logs needs the last run's ${join(OUT, 'summary.json')} (${(err as Error).message}); run \`npm run bench\` first`);
  }
}

async function main(): Promise<number> {
  const previous = FROM_LOGS ? readPrevious() : null;
  const started = previous ? new Date(previous.generated_at) : new Date();
  const host = previous?.machine ?? machine();
  const quick = previous?.quick ?? QUICK;
  const scripts = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  mkdirSync(OUT, { recursive: true });
  console.log(`npm run bench → ${OUT}${QUICK ? ' (BENCH_QUICK=1: smoke run, figures not comparable)' : ''}`);

  const runs: BenchRun[] = [];
  for (const spec of BENCHES) {
    const script = `bench:${spec.name}`;
    if (!scripts[script]) {
      console.log(`\n${script}: not in package.json, skipped`);
      runs.push({
        name: spec.name,
        script,
        status: 'missing',
        reason: `does not exist yet (no \`${script}\` script in package.json)`,
        seconds: 0,
        settings: spec.env,
        line: null,
        values: {},
      });
      continue;
    }
    console.log(
      `\n${script} (${Object.entries(spec.env)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')})`,
    );
    const result = FROM_LOGS ? fromLog(spec.name) : await runScript(script, spec.env);
    if (!FROM_LOGS) writeFileSync(join(OUT, `${spec.name}.log`), result.output);
    const summary = parseSummary(result.output, spec.name);
    const reason = result.timedOut
      ? `timed out after ${TIMEOUT_S} s`
      : result.code !== 0
        ? `exited with code ${result.code}`
        : !summary
          ? `printed no \`bench:${spec.name} key=value …\` summary line`
          : undefined;
    const before = previous?.benches[spec.name];
    const seconds = before?.seconds ?? result.seconds;
    runs.push({
      name: spec.name,
      script,
      status: reason ? 'failed' : 'ok',
      reason,
      seconds,
      settings: before?.settings ?? spec.env,
      line: summary?.line ?? null,
      values: summary?.values ?? {},
    });
    console.log(`${script}: ${reason ?? 'ok'} in ${seconds.toFixed(0)} s`);
  }

  const byName = (name: string) => runs.find((r) => r.name === name);
  const sections = [mockSection(byName('mock')), policySection(byName('policy')), clientSection(byName('client'))];
  for (const s of sections) for (const [file, svg] of Object.entries(s.charts)) writeFileSync(join(OUT, file), svg);
  const ratios = Object.assign({}, ...sections.map((s) => s.ratios)) as Record<string, number | null>;
  const commit = previous?.commit ?? gitCommit();
  const totalSeconds = previous?.seconds ?? (Date.now() - started.getTime()) / 1000;
  const loadEnd = previous?.machine.load_average_at_end ?? loadavg().map((l) => Math.round(l * 100) / 100);

  const md = [
    '# Benchmark report',
    '',
    `Generated by \`npm run bench\` (bench/report.ts) on ${started.toISOString().replace(/\.\d{3}Z$/, 'Z')} from commit ${commit}, in ${Math.round(totalSeconds)} s.${quick ? ' **Smoke run (`BENCH_QUICK=1`): the figures are not comparable.**' : ''}`,
    'Every figure comes from the last line of a `npm run bench:*` script, quoted verbatim at the end; full output is in the `*.log` files next to this report.',
    '',
    '## Machine',
    '',
    table(
      ['', ''],
      [
        ['CPU', host.cpu],
        ['cores', `${host.cores} (available parallelism ${host.available_parallelism})`],
        ['memory', `${host.memory_gib} GiB`],
        ['Node.js', host.node],
        ['OS', host.os],
        ['load average (1/5/15 min)', `${host.load_average_at_start.join(' / ')} at start, ${loadEnd.join(' / ')} at the end`],
      ],
      'll',
    ),
    '',
    'On two cores the load generator and the server under test share the machine, and so does anything else running (a load average above 2 means other work competed for the cores): compare the ratios, which come from the same run, rather than absolute figures across machines.',
    '',
    ...sections.map((s) => s.markdown),
    '## Runs',
    '',
    table(
      ['bench', 'status', 'seconds', 'settings'],
      runs.map((r) => [
        `\`${r.script}\``,
        r.status === 'ok' ? 'ok' : `${r.status}: ${r.reason}`,
        r.status === 'missing' ? '—' : r.seconds.toFixed(0),
        Object.entries(r.settings)
          .map(([k, v]) => `${k}=${v}`)
          .join(' '),
      ]),
      'llrl',
    ),
    '',
    '```',
    ...runs.map((r) => r.line ?? `bench:${r.name} (no summary: ${r.reason})`),
    '```',
    '',
  ].join('\n');
  writeFileSync(join(OUT, 'report.md'), md);

  const summary = {
    generated_at: started.toISOString(),
    seconds: Math.round(totalSeconds),
    commit,
    quick,
    machine: { ...host, load_average_at_end: loadEnd },
    ratios,
    benches: Object.fromEntries(
      runs.map((r) => [
        r.name,
        { status: r.status, reason: r.reason ?? null, seconds: Math.round(r.seconds), settings: r.settings, line: r.line, values: r.values },
      ]),
    ),
  };
  writeFileSync(join(OUT, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);

  console.log(`\nwrote ${join(OUT, 'report.md')} and summary.json in ${Math.round(totalSeconds)} s`);
  for (const r of runs) console.log(r.line ?? `bench:${r.name} ${r.status}: ${r.reason}`);
  console.log(
    `ratios: ${Object.entries(ratios)
      .map(([k, v]) => `${k}=${v ?? 'n/a'}`)
      .join(' ')}`,
  );
  return runs.some((r) => r.status === 'failed') ? 1 : 0;
}

process.exitCode = await main();
