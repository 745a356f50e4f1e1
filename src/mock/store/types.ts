/**
 * The mock's state behind one small async interface (DESIGN §5, scale-out): resources,
 * Idempotency-Key answers, the clock and tenant plans. {@link MemoryStateStore} keeps them in
 * this process; {@link RedisStateStore} keeps them in Redis (standalone or Cluster), where several
 * instances share them with nothing cached. One suite (test/mock/state-store-suite.ts) runs on both.
 * @module
 */
import type { components } from '../../../generated/types.js';
import type { Later } from '../../portable/index.js';

type Schemas = components['schemas'];

/** A stored trace: the summary, plus spans and the free-form members. */
export type TraceDoc = Schemas['TraceSummary'] & { spans: Schemas['Span'][]; input?: unknown; output?: unknown; metadata?: unknown };

/** An API key as stored: what the API shows, plus what auth needs (never shown again: `secret`). */
export interface KeyDoc {
  id: string;
  tenantId: string;
  name: string;
  scopes: string[];
  projectId: string | null;
  revoked: boolean;
  secret: string;
  prefix: string;
  createdAt: string;
  /** SHA-256 hex of `secret`, the form auth looks keys up by. */
  digest: string;
}

/** The document type of each collection. */
export interface Docs {
  traces: TraceDoc;
  projects: Schemas['Project'];
  keys: KeyDoc;
  evalRules: Schemas['EvalRule'];
  feedback: Schemas['Feedback'];
  evals: Schemas['Eval'];
  attestations: Schemas['Attestation'];
  audit: Schemas['AuditEvent'];
}

export type Collection = keyof Docs;

/** Every collection, in a fixed order (the Redis store's key layout depends on it). */
export const COLLECTIONS: readonly Collection[] = ['traces', 'projects', 'keys', 'evalRules', 'feedback', 'evals', 'attestations', 'audit'];

/** Capped resources (`x-traceloom` caps), counted by the store. */
export type CapName = 'projects' | 'api_keys' | 'eval_rules';
export const CAP_NAMES: readonly CapName[] = ['projects', 'api_keys', 'eval_rules'];

/** A cap to check and consume with an insert: the limit per plan (absent or null: uncapped). */
export interface CapCheck {
  name: CapName;
  limits: Readonly<Record<string, number | null | undefined>>;
}

export type InsertResult = { ok: true; seq: number } | { ok: false; reason: 'exists' } | { ok: false; reason: 'capped'; limit: number; used: number };

export interface InsertOptions {
  /** Checked against the tenant's plan and consumed in the same atomic step. */
  cap?: CapCheck;
  /** Keep only the newest `keep` documents of the collection (the audit log). */
  keep?: number;
}

/** One page: `after` is the last seen sequence number (the cursor), null for the first page. */
export interface ListQuery {
  order: 'asc' | 'desc';
  after: number | null;
  limit: number;
}

/** A document with the insertion sequence number that orders it (cursors are sequence numbers). */
export interface Stored<T> {
  seq: number;
  doc: T;
}

export interface ListPage<T> {
  items: Stored<T>[];
  /** More documents follow the last item. */
  more: boolean;
}

/** What a tenant starts with (from mocks/tenants.yaml). */
export interface TenantSeed {
  id: string;
  plan: string;
  projects: Schemas['Project'][];
  keys: KeyDoc[];
}

/** The mock clock: real time plus `offsetMs`, or stopped at `frozenAt` (real ms) plus the offset. */
export interface ClockState {
  offsetMs: number;
  frozenAt: number | null;
}

/** An answer kept for an Idempotency-Key (only successes are kept). */
export interface StoredAnswer {
  bodyDigest: string;
  status: number;
  body: unknown;
  headers: Record<string, string>;
  contentType: string;
  /** On the mock clock (ms). */
  expiresAt: number;
}

/**
 * The state primitives. Every method may reject only on a store fault (Redis down, timeout);
 * an id taken or a cap reached is a result.
 */
export interface StateStore {
  /**
   * Moves with every write that can change a document or a plan (not key uses, kept answers or
   * the clock). Only a store whose writes all go through this process has one (memory): a reader
   * may keep what it read for as long as `version` stays the same. A shared store has none.
   */
  readonly version?: number;
  /** Writes the tenant's seed if it has no state; `force` first deletes everything it has (reset). */
  seed(seed: TenantSeed, force: boolean): Promise<void>;
  /** Adds `doc` under `id` unless the id exists or the cap is reached: one atomic step. */
  insert<C extends Collection>(tenantId: string, collection: C, id: string, doc: Docs[C], options?: InsertOptions): Promise<InsertResult>;
  get<C extends Collection>(tenantId: string, collection: C, id: string): Promise<Docs[C] | null>;
  /**
   * Atomic read-modify-write: `change` gets the current document and returns the next one, or
   * undefined to leave it unchanged; it may run more than once (optimistic, on a concurrent write).
   * `release` gives one unit of the cap back when a change is written. Resolves null if absent.
   */
  update<C extends Collection>(
    tenantId: string,
    collection: C,
    id: string,
    change: (doc: Docs[C]) => Docs[C] | undefined,
    options?: { release?: CapName },
  ): Promise<Docs[C] | null>;
  /** Deletes one document; `release` gives a unit of the cap back. Resolves false if absent. */
  remove(tenantId: string, collection: Collection, id: string, options?: { release?: CapName }): Promise<boolean>;
  /** One page in insertion order (`asc`) or newest first (`desc`), after a cursor. */
  list<C extends Collection>(tenantId: string, collection: C, query: ListQuery): Promise<ListPage<Docs[C]>>;
  /** How many documents the collection holds. */
  count(tenantId: string, collection: Collection): Promise<number>;
  /** How many of a capped resource the tenant holds (at once from a store in this process). */
  capCounts(tenantId: string): Later<Record<CapName, number>>;
  /** The tenant's plan, or null when it has no state (never seeded, reset away, expired); at once from a store in this process. */
  plan(tenantId: string): Later<string | null>;
  setPlan(tenantId: string, plan: string): Promise<void>;
  /** Who owns the key with this digest (keys created through the API; fixture keys are known locally). */
  keyOwner(digest: string): Promise<{ tenantId: string; keyId: string } | null>;
  /** Records a key's last use (ms on the mock clock). */
  touchKey(tenantId: string, keyId: string, atMs: number): Promise<void>;
  /** Last use per key id of the tenant. */
  keyUses(tenantId: string): Promise<Record<string, number>>;
  clock(): Promise<ClockState>;
  /** Atomic read-modify-write of the clock (two instances advancing at once both count). */
  updateClock(change: (clock: ClockState) => ClockState): Promise<ClockState>;
  /** The answer kept for this tenant's key (`<operationId>:<Idempotency-Key>`), if any. */
  answer(tenantId: string, key: string): Promise<StoredAnswer | null>;
  /** Keeps an answer unless one is already kept (the first success wins); `ttlMs` bounds it in real time. */
  keepAnswer(tenantId: string, key: string, answer: StoredAnswer, ttlMs: number): Promise<void>;
  close(): Promise<void>;
}
