/**
 * Types of the policy engine: the facts a request brings, the Decision the engine returns,
 * and the small store interface every backend implements (DESIGN §4).
 * @module
 */
import type { MeterName, OperationModel, PlanId } from '../contract/model.js';
import type { Later } from '../portable/index.js';

/** Injected time source in milliseconds since the epoch (tests and the mock's time travel). */
export interface Clock {
  now(): number;
}

/** What to do when the store fails: admit and mark degraded, or answer 503. */
export type FailMode = 'open' | 'closed';

/** What the pipeline knows about a request by the time it reaches the policy stage. */
export interface RequestFacts {
  operation: OperationModel;
  /** The tenant's current plan. */
  plan: PlanId;
  /** The tenant (hash tag of every key of the request); null only on public operations. */
  tenantId: string | null;
  /** API key id (or a session subject); `api_key`-scoped policies fall back to the tenant without one. */
  apiKeyId?: string | null;
  ip?: string | null;
  /** Units this request would add per meter, e.g. `{traces: 12, spans: 340}`. */
  meters?: Readonly<Record<MeterName, number>> | null;
  /** The tenant's current count of the resource the operation's cap limits (creates only). */
  capUsed?: number | null;
}

/** Normalised once by {@link decide}; every field has a default. */
export interface DecideOptions {
  /** Store failure: `open` admits with `degraded: true`, `closed` answers 503. Default `open`. */
  failMode?: FailMode;
  /** `Retry-After` of a fail-closed 503, in seconds. Default 1. */
  failRetryAfterSeconds?: number;
}

/** The state of one limiter after the decision (DESIGN §4, draft-ietf-httpapi-ratelimit-headers-11 §3/§4). */
export interface PolicyState {
  /** Policy name, or `<policy>.burst` for a burst companion. */
  name: string;
  /** Quota units per window (`q`). */
  limit: number;
  /** Units left after this request (`r`). */
  remaining: number;
  /**
   * When more quota next becomes available (ms epoch): the window end for fixed windows, the
   * expiry of the entry whose departure frees a unit for sliding logs, the moment the weighted
   * previous window has decayed by one more unit for sliding-window counters, the next whole
   * token for buckets; `now` when nothing is used. For a refused limiter it is exactly when it
   * admits again.
   */
  resetAt: number;
  /** Window (`w`) in seconds. */
  windowSeconds: number;
}

/** Problem members of a refusal, snake_case as they appear in the RFC 9457 body (DESIGN §3.3). */
export interface ProblemMembers {
  detail?: string;
  [member: string]: unknown;
}

/** The engine's answer. Being limited is a result, not an exception. */
export interface Decision {
  allowed: boolean;
  /** 200 when allowed; 402, 429 or 503 when refused. */
  status: number;
  /** Error code of the refusal (`rate_limited`, `plan_upgrade_required`, …), null when allowed. */
  code: string | null;
  /** Every limiter that applies to the request, burst companions right after their policy. */
  perPolicy: PolicyState[];
  /** Names of the limiters that refused (429 only). */
  violated: string[];
  /** Seconds to wait (integer, ceil, ≥ 1) on 429/503; null otherwise. */
  retryAfter: number | null;
  /** Members for {@link problem} when refused, null when allowed. */
  problem: ProblemMembers | null;
  /** The store failed: with `failMode: open` the request was admitted blind (no `perPolicy`), with `closed` refused with 503. */
  degraded: boolean;
  /** The clock reading the decision was made at (ms). */
  now: number;
}

/** Limiter algorithms as the stores know them: fixed window, sliding log, sliding-window counter, GCRA bucket. */
export type LimiterKind = 'fixed' | 'sliding' | 'counter' | 'gcra';

/** What a store needs to evaluate one limiter; static per (operation, plan), keys vary. */
export interface LimiterSpec {
  /** Reported back in the result (`default`, `default.burst`, …). */
  name: string;
  kind: LimiterKind;
  /** fixed/sliding/counter: requests per window; gcra: bucket capacity. */
  limit: number;
  /** fixed/sliding/counter: window; gcra: time to refill the whole bucket (capacity × emission interval). */
  windowMs: number;
  windowSeconds: number;
}

/** One atomic store call: every limiter is checked, and all or none consume one unit. */
export interface EvaluateRequest {
  now: number;
  /** false: read the limiters' state without consuming (refusals before the rate-limit step). */
  consume: boolean;
  specs: readonly LimiterSpec[];
  /** Store keys, one per spec (hash-tagged, without the store's namespace prefix). */
  keys: readonly string[];
  /** Usage hash to read in the same call, or null. */
  usageKey: string | null;
  meters: readonly MeterName[];
}

/** A limiter's state after the call (what the response announces), and whether it admitted. */
export interface LimiterResult extends PolicyState {
  admitted: boolean;
}

export interface EvaluateResult {
  /** Every limiter admitted (and, when `consume`, every limiter consumed one unit). */
  allowed: boolean;
  limiters: LimiterResult[];
  /** Current month's usage for `meters`, in order. */
  usage: number[];
}

/**
 * The store primitives (one interface, two backends). Every method may reject only on a
 * store fault (connection lost, timeout); limits are results.
 */
export interface PolicyStore {
  /** Check and consume all limiters atomically and read usage, in one round trip. */
  evaluate(request: EvaluateRequest): Later<EvaluateResult>;
  /** Add metered usage for the tenant's current month (after a request succeeded); returns the new totals. */
  recordUsage(tenantId: string, deltas: Readonly<Record<MeterName, number>>, nowMs: number): Promise<Record<MeterName, number>>;
  /** Read the tenant's usage for the current month (missing meters are 0); at once from a store in this process. */
  getUsage(tenantId: string, meters: readonly MeterName[], nowMs: number): Later<Record<MeterName, number>>;
  /** Overwrite usage for the tenant's current month (the mock's control API). */
  setUsage(tenantId: string, values: Readonly<Record<MeterName, number>>, nowMs: number): Promise<void>;
  /** Forget every limiter and usage counter (the mock's `POST /__mock/reset`). */
  reset(): Promise<void>;
  close(): Promise<void>;
}
