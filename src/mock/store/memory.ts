/**
 * {@link StateStore} in this process: one instance, nothing shared. Every step is synchronous
 * underneath, so "atomic" holds trivially; the promises only match the shared interface.
 * Documents are copied in and out (a caller never holds the stored object), as JSON values:
 * they are what the Redis store keeps as JSON, and {@link copy} is several times cheaper than
 * `structuredClone` on the hot path (every authenticated request reads its key).
 * @module
 */
import {
  CAP_NAMES,
  type CapName,
  type ClockState,
  type Collection,
  type Docs,
  type InsertOptions,
  type InsertResult,
  type ListPage,
  type ListQuery,
  type StateStore,
  type Stored,
  type StoredAnswer,
  type TenantSeed,
} from './types.js';

interface TenantState {
  plan: string;
  seq: number;
  caps: Record<CapName, number>;
  docs: Map<Collection, Map<string, Stored<unknown>>>;
  uses: Map<string, number>;
  answers: Map<string, StoredAnswer>;
}

/** A deep copy of a JSON-shaped value (plain objects, arrays, primitives; `undefined` members and `__proto__` keys kept as data). */
export function copy<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copy(value[i]);
    return out as T;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return structuredClone(value); // not JSON-shaped: keep its type
  // Spread copies every own member as data (a `__proto__` member of a free-form map such as
  // `metadata` included), and fast for documents of one shape; then the nested values are copied.
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const k in out) {
    const v = out[k];
    if (v === null || typeof v !== 'object') continue;
    // `__proto__` is data: define it, never assign it.
    if (k === '__proto__') Object.defineProperty(out, k, { value: copy(v), enumerable: true, writable: true, configurable: true });
    else out[k] = copy(v);
  }
  return out as T;
}

/** Idempotency answers kept per tenant at most (oldest go first). */
const MAX_ANSWERS = 10_000;

/** The default state store: maps in memory. */
export class MemoryStateStore implements StateStore {
  private readonly tenants = new Map<string, TenantState>();
  private readonly owners = new Map<string, { tenantId: string; keyId: string }>();
  private clockState: ClockState = { offsetMs: 0, frozenAt: null };
  private writes = 0;

  get version(): number {
    return this.writes;
  }

  private tenant(id: string): TenantState {
    const t = this.tenants.get(id);
    if (!t) throw new Error(`tenant ${id} has no state; seed it first (MemoryStateStore.seed)`);
    return t;
  }

  private docs(tenantId: string, collection: Collection): Map<string, Stored<unknown>> {
    const t = this.tenant(tenantId);
    let m = t.docs.get(collection);
    if (!m) t.docs.set(collection, (m = new Map()));
    return m;
  }

  async seed(seed: TenantSeed, force: boolean): Promise<void> {
    if (this.tenants.has(seed.id) && !force) return;
    this.writes++;
    const t: TenantState = {
      plan: seed.plan,
      seq: 0,
      caps: { projects: seed.projects.length, api_keys: seed.keys.filter((k) => !k.revoked).length, eval_rules: 0 },
      docs: new Map(),
      uses: new Map(),
      answers: new Map(),
    };
    this.tenants.set(seed.id, t);
    for (const p of seed.projects) this.docs(seed.id, 'projects').set(p.id, { seq: ++t.seq, doc: copy(p) });
    for (const k of seed.keys) this.docs(seed.id, 'keys').set(k.id, { seq: ++t.seq, doc: copy(k) });
  }

  async insert<C extends Collection>(tenantId: string, collection: C, id: string, doc: Docs[C], options: InsertOptions = {}): Promise<InsertResult> {
    const t = this.tenant(tenantId);
    const docs = this.docs(tenantId, collection);
    if (docs.has(id)) return { ok: false, reason: 'exists' };
    const cap = options.cap;
    if (cap) {
      const limit = cap.limits[t.plan];
      const used = t.caps[cap.name];
      if (limit !== null && limit !== undefined && used >= limit) return { ok: false, reason: 'capped', limit, used };
      t.caps[cap.name] = used + 1;
    }
    const seq = ++t.seq;
    this.writes++;
    docs.set(id, { seq, doc: copy(doc) });
    if (collection === 'keys') this.owners.set((doc as Docs['keys']).digest, { tenantId, keyId: id });
    if (options.keep !== undefined) while (docs.size > options.keep) docs.delete(docs.keys().next().value!);
    return { ok: true, seq };
  }

  async get<C extends Collection>(tenantId: string, collection: C, id: string): Promise<Docs[C] | null> {
    if (!this.tenants.has(tenantId)) return null;
    const hit = this.docs(tenantId, collection).get(id);
    return hit ? (copy(hit.doc) as Docs[C]) : null;
  }

  async update<C extends Collection>(
    tenantId: string,
    collection: C,
    id: string,
    change: (doc: Docs[C]) => Docs[C] | undefined,
    options: { release?: CapName } = {},
  ): Promise<Docs[C] | null> {
    if (!this.tenants.has(tenantId)) return null;
    const hit = this.docs(tenantId, collection).get(id);
    if (!hit) return null;
    const next = change(copy(hit.doc) as Docs[C]);
    if (next === undefined) return copy(hit.doc) as Docs[C];
    this.writes++;
    hit.doc = copy(next);
    if (options.release) this.release(tenantId, options.release);
    return next;
  }

  async remove(tenantId: string, collection: Collection, id: string, options: { release?: CapName } = {}): Promise<boolean> {
    if (!this.tenants.has(tenantId)) return false;
    if (!this.docs(tenantId, collection).delete(id)) return false;
    this.writes++;
    if (options.release) this.release(tenantId, options.release);
    return true;
  }

  private release(tenantId: string, cap: CapName): void {
    const t = this.tenant(tenantId);
    t.caps[cap] = Math.max(0, t.caps[cap] - 1);
  }

  async list<C extends Collection>(tenantId: string, collection: C, query: ListQuery): Promise<ListPage<Docs[C]>> {
    if (!this.tenants.has(tenantId)) return { items: [], more: false };
    const all = [...this.docs(tenantId, collection).values()];
    if (query.order === 'desc') all.reverse();
    const after = query.after;
    const from = after === null ? 0 : all.findIndex((s) => (query.order === 'asc' ? s.seq > after : s.seq < after));
    const slice = from < 0 ? [] : all.slice(from, from + query.limit + 1);
    const items = slice.slice(0, query.limit).map((s) => ({ seq: s.seq, doc: copy(s.doc) as Docs[C] }));
    return { items, more: slice.length > query.limit };
  }

  async count(tenantId: string, collection: Collection): Promise<number> {
    return this.tenants.has(tenantId) ? this.docs(tenantId, collection).size : 0;
  }

  capCounts(tenantId: string): Record<CapName, number> {
    const caps = this.tenants.get(tenantId)?.caps;
    return caps ? { ...caps } : (Object.fromEntries(CAP_NAMES.map((c) => [c, 0])) as Record<CapName, number>);
  }

  plan(tenantId: string): string | null {
    return this.tenants.get(tenantId)?.plan ?? null;
  }

  async setPlan(tenantId: string, plan: string): Promise<void> {
    this.tenant(tenantId).plan = plan;
    this.writes++;
  }

  async keyOwner(digest: string): Promise<{ tenantId: string; keyId: string } | null> {
    return this.owners.get(digest) ?? null;
  }

  async touchKey(tenantId: string, keyId: string, atMs: number): Promise<void> {
    this.tenants.get(tenantId)?.uses.set(keyId, atMs);
  }

  async keyUses(tenantId: string): Promise<Record<string, number>> {
    return Object.fromEntries(this.tenants.get(tenantId)?.uses ?? []);
  }

  async clock(): Promise<ClockState> {
    return { ...this.clockState };
  }

  async updateClock(change: (clock: ClockState) => ClockState): Promise<ClockState> {
    this.clockState = change({ ...this.clockState });
    return { ...this.clockState };
  }

  async answer(tenantId: string, key: string): Promise<StoredAnswer | null> {
    return this.tenants.get(tenantId)?.answers.get(key) ?? null;
  }

  async keepAnswer(tenantId: string, key: string, answer: StoredAnswer): Promise<void> {
    const answers = this.tenants.get(tenantId)?.answers;
    if (!answers || answers.has(key)) return;
    answers.set(key, answer);
    if (answers.size > MAX_ANSWERS) answers.delete(answers.keys().next().value!);
  }

  async close(): Promise<void> {}
}
