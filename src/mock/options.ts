/**
 * Mock options, normalised once into a {@link MockConfig} with explicit defaults (STYLE.md
 * habit 6); a value out of range throws an error that says what is allowed, never clamps.
 * @module
 */
import { join } from 'node:path';
import { defaultRoot, repoRoot } from '../contract/index.js';
import type { FailMode } from '../policy/index.js';
import { parseClusterNodes } from '../policy/redis.js';
import { defaultMocksDir } from './fixture-files.js';

export interface MockOptions {
  /** Port to listen on; 0 picks a free one. Default 4010. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** `dev` scales limits down (mocks/limits.dev.yaml) so a person reaches a 429 by clicking. */
  limits?: 'dev' | 'contract';
  /** `NAME=LIMIT/WINDOW` overrides, e.g. `default=20/2s` (every plan, no burst). */
  policies?: string[];
  /** false switches rate limiting off (plan gates, caps and quotas still apply). */
  rateLimit?: boolean;
  /** Added latency per request, ms: `[min, max]`, 0 ≤ min ≤ max ≤ 60 000. */
  latencyMs?: [number, number];
  /** Share of requests answered 500 or reset (half each), from 0 to 1. */
  chaos?: number;
  /** Redis URL: counters, usage and all state shared by every instance on it. */
  redisUrl?: string;
  /** Redis Cluster seed nodes (`HOST:PORT`, or one comma-separated string); wins over `redisUrl`. */
  redisCluster?: string[] | string;
  /** Redis unreachable: `open` admits rate-limited requests unenforced, `closed` answers 503. Default open. */
  failMode?: FailMode;
  /** The control API under /__mock (localhost only). Default true. */
  control?: boolean;
  /** Request log: `pretty` (a TTY), `json`, or false. Default: pretty on a TTY, json otherwise. */
  log?: 'pretty' | 'json' | false;
  /** Reload when openapi/ or mocks/ change. Default false (the CLI turns it on). */
  watch?: boolean;
  root?: string;
  mocksDir?: string;
  /** Read for TRACELOOM_POLICY_* and TRACELOOM_RATE_LIMIT_ENABLED. Default process.env. */
  env?: Record<string, string | undefined>;
  /** Where built docs are served from. Default generated/docs. */
  docsDir?: string;
}

/** Where the state lives: this process, one Redis, or a Redis Cluster. */
export type StateBackend = { kind: 'memory' } | { kind: 'redis'; url: string } | { kind: 'cluster'; nodes: string[] };

/** Every option resolved, checked, with its default. */
export interface MockConfig {
  port: number;
  host: string;
  limits: 'dev' | 'contract';
  policies: string[];
  rateLimit: boolean | undefined;
  latencyMs: [number, number] | null;
  chaos: number;
  backend: StateBackend;
  failMode: FailMode;
  control: boolean;
  log: 'pretty' | 'json' | false;
  watch: boolean;
  root: string;
  mocksDir: string;
  env: Record<string, string | undefined>;
  docsDir: string;
}

/** A mock option is out of range or malformed; the message names the option and what is allowed. */
export class MockOptionsError extends Error {}

const fail = (message: string): never => {
  throw new MockOptionsError(`createMock: ${message}`);
};

function backendOf(options: MockOptions): StateBackend {
  const cluster = options.redisCluster;
  if (cluster !== undefined && cluster.length > 0) {
    try {
      return { kind: 'cluster', nodes: parseClusterNodes(Array.isArray(cluster) ? cluster.join(',') : cluster) };
    } catch (err) {
      return fail(`redisCluster: ${(err as Error).message}`);
    }
  }
  if (options.redisUrl !== undefined) {
    if (!/^rediss?:\/\//.test(options.redisUrl)) fail(`redisUrl \`${options.redisUrl}\` must start with redis:// or rediss://, e.g. redis://127.0.0.1:6379`);
    return { kind: 'redis', url: options.redisUrl };
  }
  return { kind: 'memory' };
}

/** Checks and completes the options. */
export function normaliseOptions(options: MockOptions = {}): MockConfig {
  const env = options.env ?? process.env;
  const port = options.port ?? 4010;
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`port ${port} must be an integer from 0 (any free port) to 65535`);
  const chaos = options.chaos ?? 0;
  if (typeof chaos !== 'number' || !(chaos >= 0 && chaos <= 1)) fail(`chaos ${chaos} must be a share from 0 to 1, e.g. 0.05 (5% of requests fail)`);
  const latency = options.latencyMs ?? null;
  if (latency && !(latency.length === 2 && latency.every((n) => Number.isFinite(n)) && latency[0] >= 0 && latency[0] <= latency[1] && latency[1] <= 60_000)) {
    fail(`latencyMs [${latency.join(', ')}] must be [min, max] with 0 ≤ min ≤ max ≤ 60000, e.g. [50, 200]`);
  }
  const limits = options.limits ?? 'contract';
  if (limits !== 'dev' && limits !== 'contract') fail(`limits \`${String(limits)}\` must be \`dev\` or \`contract\``);
  const failMode = options.failMode ?? 'open';
  if (failMode !== 'open' && failMode !== 'closed') fail(`failMode \`${String(failMode)}\` must be \`open\` or \`closed\``);
  const log = options.log ?? (process.stdout.isTTY ? 'pretty' : 'json');
  if (log !== false && log !== 'pretty' && log !== 'json') fail(`log \`${String(log)}\` must be \`pretty\`, \`json\` or false`);
  return {
    port,
    host: options.host ?? '127.0.0.1',
    limits,
    policies: options.policies ?? [],
    rateLimit: options.rateLimit,
    latencyMs: latency,
    chaos,
    backend: backendOf(options),
    failMode,
    control: options.control !== false,
    log,
    watch: options.watch ?? false,
    root: options.root ?? defaultRoot,
    mocksDir: options.mocksDir ?? defaultMocksDir,
    env,
    docsDir: options.docsDir ?? join(repoRoot, 'generated', 'docs'),
  };
}
