/**
 * The shared store: a real Redis through ioredis. One Lua script and one round trip per
 * decision (EVALSHA; on NOSCRIPT, e.g. after a Redis restart, ioredis resends it as EVAL, which
 * loads it again). Never hangs and never crashes the process: no offline queue (commands fail
 * at once while disconnected), a bounded command timeout, no retries of in-flight commands,
 * and reconnection in the background, so the engine recovers by itself when Redis returns.
 * @module
 */
import type { RedisOptions } from 'ioredis';
import type { MeterName } from '../contract/model.js';
import { USAGE_RETENTION_MS, monthOf, usageKey } from './keys.js';
import { createRedisClient, deleteMatching, redisReady, type RedisClient } from './redis-client.js';
import { evaluateLua, RECORD_USAGE_LUA } from './redis-script.js';
import type { EvaluateRequest, EvaluateResult, LimiterResult, LimiterSpec, PolicyStore } from './types.js';

export interface RedisStoreOptions {
  /** `redis://host:port/db`. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** Redis Cluster seed nodes (`HOST:PORT`); when given, `url` is ignored. */
  cluster?: readonly string[];
  /** Namespace prepended to every key (before the hash tag). Default `tl:`. */
  prefix?: string;
  /** A command not answered in this time fails (and the decision follows `failMode`). Default 1000. */
  commandTimeoutMs?: number;
  /** Give up one connection attempt after this long. Default 1000. */
  connectTimeoutMs?: number;
  /** Upper bound of the reconnect backoff. Default 1000. */
  maxReconnectDelayMs?: number;
  /** Keep keys this long after they stop mattering on the request clock (time travel, skew). Default 60 s, at least 1 s. */
  ttlSlackMs?: number;
  /** Extra ioredis options (merged last). */
  redis?: RedisOptions;
}

const KIND_ARG = { fixed: 'f', sliding: 's', counter: 'c', gcra: 'g' } as const;

/** The script's limiter arguments for `specs` (n, then kind, limit, windowMs each), built once per specs array. */
const specArgs = new WeakMap<readonly LimiterSpec[], readonly string[]>();
function specArg(specs: readonly LimiterSpec[]): readonly string[] {
  let args = specArgs.get(specs);
  if (args === undefined) {
    args = [String(specs.length), ...specs.flatMap((s) => [KIND_ARG[s.kind], String(s.limit), String(s.windowMs)])];
    specArgs.set(specs, args);
  }
  return args;
}

type ScriptFn = (...args: (string | number)[]) => Promise<unknown>;

/** {@link PolicyStore} on Redis, standalone or Cluster (every key of a decision shares its tenant's hash tag). */
export class RedisStore implements PolicyStore {
  readonly client: RedisClient;
  private readonly prefix: string;
  private readonly slack: number;
  private readonly evalScript: ScriptFn;
  private readonly usageScript: ScriptFn;
  /** This store's property on the keys arrays it is given: the prefixed keys. */
  private readonly slot = Symbol('RedisStore keys');

  constructor(options: RedisStoreOptions = {}) {
    this.client = createRedisClient({ url: options.url, cluster: options.cluster }, options);
    this.prefix = options.prefix ?? 'tl:';
    this.slack = Math.max(1000, Math.ceil(options.ttlSlackMs ?? 60_000));
    this.client.defineCommand('tlEvaluate', { lua: evaluateLua(this.slack) });
    this.client.defineCommand('tlRecordUsage', { lua: RECORD_USAGE_LUA, numberOfKeys: 1 });
    const commands = this.client as unknown as Record<string, ScriptFn>;
    this.evalScript = commands['tlEvaluate']!.bind(this.client);
    this.usageScript = commands['tlRecordUsage']!.bind(this.client);
  }

  /** Resolves true once connected, false if not within `timeoutMs` (the store still retries). */
  ready(timeoutMs = 2000): Promise<boolean> {
    return redisReady(this.client, timeoutMs);
  }

  async evaluate(req: EvaluateRequest): Promise<EvaluateResult> {
    const { specs, keys, meters } = req;
    const n = specs.length;
    const m = req.usageKey !== null ? meters.length : 0;
    const args: (string | number)[] = [n + (m > 0 ? 1 : 0)];
    const prefixed = this.prefixed(keys);
    for (let i = 0; i < n; i++) args.push(prefixed[i]!);
    if (m > 0) args.push(this.prefix + req.usageKey);
    args.push(req.now, req.consume ? 1 : 0, ...specArg(specs));
    for (let j = 0; j < m; j++) args.push(meters[j]!);
    const reply = (await this.evalScript(...args)) as number[];
    const limiters: LimiterResult[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const s = specs[i]!;
      limiters[i] = {
        name: s.name,
        limit: s.limit,
        remaining: reply[2 + 3 * i]!,
        resetAt: reply[3 + 3 * i]!,
        windowSeconds: s.windowSeconds,
        admitted: reply[1 + 3 * i] === 1,
      };
    }
    return { allowed: reply[0] === 1, limiters, usage: m > 0 ? reply.slice(1 + 3 * n) : [] };
  }

  /**
   * `keys` with this store's prefix. Kept on the keys array (under this store's symbol): `decide`
   * caches its keys arrays, so a decision sends strings built once, not a concatenation per call.
   */
  private prefixed(keys: readonly string[]): readonly string[] {
    const keyed = keys as readonly string[] & { [slot: symbol]: readonly string[] | undefined };
    const cached = keyed[this.slot];
    if (cached !== undefined) return cached;
    const built = keys.map((k) => this.prefix + k);
    if (keys.length > 0 && Object.isExtensible(keys)) keyed[this.slot] = built;
    return built;
  }

  async recordUsage(tenantId: string, deltas: Readonly<Record<MeterName, number>>, nowMs: number): Promise<Record<MeterName, number>> {
    const entries = Object.entries(deltas);
    if (entries.length === 0) return {};
    const ttl = monthOf(nowMs).end + USAGE_RETENTION_MS - nowMs;
    const reply = (await this.usageScript(this.prefix + usageKey(tenantId, nowMs), ttl, ...entries.flat())) as number[];
    return Object.fromEntries(entries.map(([meter], i) => [meter, reply[i]!]));
  }

  async getUsage(tenantId: string, meters: readonly MeterName[], nowMs: number): Promise<Record<MeterName, number>> {
    if (meters.length === 0) return {};
    const values = await this.client.hmget(this.prefix + usageKey(tenantId, nowMs), ...meters);
    return Object.fromEntries(meters.map((meter, i) => [meter, Number(values[i] ?? 0)]));
  }

  async setUsage(tenantId: string, values: Readonly<Record<MeterName, number>>, nowMs: number): Promise<void> {
    const entries = Object.entries(values);
    if (entries.length === 0) return;
    const key = this.prefix + usageKey(tenantId, nowMs);
    await this.client
      .multi()
      .hset(key, Object.fromEntries(entries))
      .pexpire(key, monthOf(nowMs).end + USAGE_RETENTION_MS - nowMs)
      .exec();
  }

  /** Delete every key under the prefix (SCAN + UNLINK, on every master of a Cluster). */
  async reset(): Promise<void> {
    await deleteMatching(this.client, `${this.prefix}*`);
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
