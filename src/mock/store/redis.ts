/**
 * {@link StateStore} on Redis (standalone or Cluster): the shared store *is* the state — no
 * snapshots, no per-instance copies. Every key of a tenant carries the policy engine's hash tag
 * `{t:<tenant>}`, so each script touches one Cluster slot, the same as the tenant's counters.
 *
 *   tls:{t:ten_1}:meta  :caps  :seq  :uses  :idem  :idemx     fixed per tenant (see lua.ts)
 *   tls:{t:ten_1}:d:traces (hash id → JSON)  :i:traces (zset id by insertion seq)  … per collection
 *   tls:{k:<sha256>}     owner (`tenant key_id`) of a key created through the API
 *   tls:{mock}:clock     the mock clock (JSON)
 *
 * Bounded: a tenant's keys expire together `ttlMs` after its last write (default 7 days), answers
 * kept for an Idempotency-Key after 24 h, and `seed(…, force)` (reset) deletes them all.
 * @module
 */
import { createRedisClient, redisReady, type RedisClient, type RedisConnection } from '../../policy/redis-client.js';
import { CAS_LUA, FIXED_KEYS, INSERT_LUA, KEEP_ANSWER_LUA, LIST_LUA, REMOVE_LUA, SEED_LUA, UPDATE_LUA } from './lua.js';
import {
  CAP_NAMES,
  COLLECTIONS,
  type CapName,
  type ClockState,
  type Collection,
  type Docs,
  type InsertOptions,
  type InsertResult,
  type ListPage,
  type ListQuery,
  type StateStore,
  type StoredAnswer,
  type TenantSeed,
} from './types.js';

export interface RedisStateStoreOptions extends RedisConnection {
  /** Namespace of every key. Default `tls:` (the policy store's is `tl:`; neither matches the other). */
  prefix?: string;
  /** A tenant's state expires this long after its last write. Default 7 days. */
  ttlMs?: number;
  /** A command not answered in this time fails. Default 1000. */
  commandTimeoutMs?: number;
}

type Script = (...args: (string | number)[]) => Promise<unknown>;

/** Optimistic writes give up after this many concurrent changes in a row (then the request fails, 500). */
const MAX_CAS_ATTEMPTS = 64;

/** Braces would end the hash tag early; percent-encode them (as src/policy/keys.ts does). */
const safe = (id: string) => (/[{}%]/.test(id) ? id.replace(/[{}%]/g, (c) => '%' + c.charCodeAt(0).toString(16)) : id);

/** The shared state store. */
export class RedisStateStore implements StateStore {
  readonly client: RedisClient;
  private readonly prefix: string;
  private readonly ttl: number;
  private readonly scripts: Record<'insert' | 'update' | 'remove' | 'list' | 'seed' | 'keep' | 'cas', Script>;
  private readonly keyCache = new Map<string, string[]>();

  constructor(options: RedisStateStoreOptions) {
    this.client = createRedisClient(options, { commandTimeoutMs: options.commandTimeoutMs });
    this.prefix = options.prefix ?? 'tls:';
    this.ttl = options.ttlMs ?? 7 * 24 * 3600 * 1000;
    const define = (name: string, lua: string, numberOfKeys?: number): Script => {
      this.client.defineCommand(name, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys });
      return (this.client as unknown as Record<string, Script>)[name]!.bind(this.client);
    };
    this.scripts = {
      insert: define('tlsInsert', INSERT_LUA),
      update: define('tlsUpdate', UPDATE_LUA),
      remove: define('tlsRemove', REMOVE_LUA),
      list: define('tlsList', LIST_LUA, 2),
      seed: define('tlsSeed', SEED_LUA),
      keep: define('tlsKeep', KEEP_ANSWER_LUA, 2),
      cas: define('tlsCas', CAS_LUA, 1),
    };
  }

  /** Resolves true once connected, false if not within `timeoutMs` (it keeps trying). */
  ready(timeoutMs = 2000): Promise<boolean> {
    return redisReady(this.client, timeoutMs);
  }

  private tag(tenantId: string): string {
    return `${this.prefix}{t:${safe(tenantId)}}:`;
  }

  /** The tenant's fixed key set, in the order lua.ts documents. */
  private keys(tenantId: string): string[] {
    let keys = this.keyCache.get(tenantId);
    if (!keys) {
      const t = this.tag(tenantId);
      keys = [`${t}meta`, `${t}caps`, `${t}seq`, `${t}uses`, `${t}idem`, `${t}idemx`];
      for (const c of COLLECTIONS) keys.push(`${t}d:${c}`, `${t}i:${c}`);
      if (this.keyCache.size > 10_000) this.keyCache.clear();
      this.keyCache.set(tenantId, keys);
    }
    return keys;
  }

  private call(script: Script, tenantId: string, args: (string | number)[]): Promise<unknown> {
    const keys = this.keys(tenantId);
    return script(keys.length, ...keys, this.ttl, ...args);
  }

  private ownerKey(digest: string): string {
    return `${this.prefix}{k:${digest}}`;
  }

  async seed(seed: TenantSeed, force: boolean): Promise<void> {
    const pairs: string[] = [];
    for (const p of seed.projects) pairs.push(p.id, JSON.stringify(p));
    for (const k of seed.keys) pairs.push(k.id, JSON.stringify(k));
    await this.call(this.scripts.seed, seed.id, [
      force ? '1' : '0',
      seed.plan,
      seed.projects.length,
      seed.keys.filter((k) => !k.revoked).length,
      seed.projects.length,
      ...pairs,
    ]);
  }

  async insert<C extends Collection>(tenantId: string, collection: C, id: string, doc: Docs[C], options: InsertOptions = {}): Promise<InsertResult> {
    const limits: (string | number)[] = [];
    for (const [plan, limit] of Object.entries(options.cap?.limits ?? {})) if (limit !== null && limit !== undefined) limits.push(plan, limit);
    const reply = (await this.call(this.scripts.insert, tenantId, [
      COLLECTIONS.indexOf(collection),
      id,
      JSON.stringify(doc),
      options.cap?.name ?? '',
      options.keep ?? 0,
      ...limits,
    ])) as number[];
    if (reply[0] === 1) {
      if (collection === 'keys') {
        const key = doc as Docs['keys'];
        await this.client.set(this.ownerKey(key.digest), `${tenantId} ${key.id}`, 'PX', this.ttl);
      }
      return { ok: true, seq: reply[1]! };
    }
    if (reply[0] === 0) return { ok: false, reason: 'exists' };
    return { ok: false, reason: 'capped', limit: reply[1]!, used: reply[2]! };
  }

  async get<C extends Collection>(tenantId: string, collection: C, id: string): Promise<Docs[C] | null> {
    const text = await this.client.hget(`${this.tag(tenantId)}d:${collection}`, id);
    return text === null ? null : (JSON.parse(text) as Docs[C]);
  }

  async update<C extends Collection>(
    tenantId: string,
    collection: C,
    id: string,
    change: (doc: Docs[C]) => Docs[C] | undefined,
    options: { release?: CapName } = {},
  ): Promise<Docs[C] | null> {
    const field = `${this.tag(tenantId)}d:${collection}`;
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const text = await this.client.hget(field, id);
      if (text === null) return null;
      const next = change(JSON.parse(text) as Docs[C]);
      if (next === undefined) return JSON.parse(text) as Docs[C];
      const written = (await this.call(this.scripts.update, tenantId, [
        COLLECTIONS.indexOf(collection),
        id,
        text,
        JSON.stringify(next),
        options.release ?? '',
      ])) as number;
      if (written === 1) return next;
      if (written === -1) return null;
    }
    throw new Error(`RedisStateStore: ${collection}/${id} of ${tenantId} changed ${MAX_CAS_ATTEMPTS} times while being updated; retry the request`);
  }

  async remove(tenantId: string, collection: Collection, id: string, options: { release?: CapName } = {}): Promise<boolean> {
    return (await this.call(this.scripts.remove, tenantId, [COLLECTIONS.indexOf(collection), id, options.release ?? ''])) === 1;
  }

  async list<C extends Collection>(tenantId: string, collection: C, query: ListQuery): Promise<ListPage<Docs[C]>> {
    const t = this.tag(tenantId);
    const reply = (await this.scripts.list(
      `${t}d:${collection}`,
      `${t}i:${collection}`,
      query.order === 'asc' ? 'a' : 'd',
      query.after ?? '',
      query.limit,
    )) as string[];
    const items: { seq: number; doc: Docs[C] }[] = [];
    for (let i = 0; i < reply.length && items.length < query.limit; i += 2) items.push({ seq: Number(reply[i]), doc: JSON.parse(reply[i + 1]!) as Docs[C] });
    return { items, more: reply.length / 2 > query.limit };
  }

  async count(tenantId: string, collection: Collection): Promise<number> {
    return this.client.zcard(`${this.tag(tenantId)}i:${collection}`);
  }

  async capCounts(tenantId: string): Promise<Record<CapName, number>> {
    const counts = await this.client.hmget(`${this.tag(tenantId)}caps`, ...CAP_NAMES);
    return Object.fromEntries(CAP_NAMES.map((cap, i) => [cap, Number(counts[i] ?? 0)])) as Record<CapName, number>;
  }

  async plan(tenantId: string): Promise<string | null> {
    return this.client.hget(`${this.tag(tenantId)}meta`, 'plan');
  }

  async setPlan(tenantId: string, plan: string): Promise<void> {
    await this.client.hset(`${this.tag(tenantId)}meta`, 'plan', plan);
  }

  async keyOwner(digest: string): Promise<{ tenantId: string; keyId: string } | null> {
    const text = await this.client.get(this.ownerKey(digest));
    if (text === null) return null;
    const [tenantId, keyId] = text.split(' ');
    return { tenantId: tenantId!, keyId: keyId! };
  }

  async touchKey(tenantId: string, keyId: string, atMs: number): Promise<void> {
    await this.client.hset(`${this.tag(tenantId)}uses`, keyId, atMs);
  }

  async keyUses(tenantId: string): Promise<Record<string, number>> {
    const all = await this.client.hgetall(`${this.tag(tenantId)}uses`);
    return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, Number(v)]));
  }

  private get clockKey(): string {
    return `${this.prefix}{mock}:clock`;
  }

  async clock(): Promise<ClockState> {
    const text = await this.client.get(this.clockKey);
    return text ? (JSON.parse(text) as ClockState) : { offsetMs: 0, frozenAt: null };
  }

  async updateClock(change: (clock: ClockState) => ClockState): Promise<ClockState> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const text = (await this.client.get(this.clockKey)) ?? '';
      const next = change(text ? (JSON.parse(text) as ClockState) : { offsetMs: 0, frozenAt: null });
      if ((await this.scripts.cas(this.clockKey, text, JSON.stringify(next))) === 1) return next;
    }
    throw new Error(`RedisStateStore: the clock (${this.clockKey}) changed ${MAX_CAS_ATTEMPTS} times while being set; retry`);
  }

  async answer(tenantId: string, key: string): Promise<StoredAnswer | null> {
    const text = await this.client.hget(`${this.tag(tenantId)}idem`, key);
    return text === null ? null : (JSON.parse(text) as StoredAnswer);
  }

  async keepAnswer(tenantId: string, key: string, answer: StoredAnswer, ttlMs: number): Promise<void> {
    const t = this.tag(tenantId);
    const now = Date.now();
    await this.scripts.keep(`${t}idem`, `${t}idemx`, key, JSON.stringify(answer), now + ttlMs, now, Math.max(ttlMs, this.ttl));
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
