/**
 * The typed contract model: everything the toolkit knows about behaviour (plans, rate-limit
 * policies, meters, the error registry, per-operation limits), read once from the `x-traceloom`
 * data of the bundled contract (DESIGN §3.5). Nothing downstream parses the YAML itself.
 * @module
 */

/** A plan id, ordered cheapest first in {@link ContractModel.plans}. */
export type PlanId = string;

/** Names of the usage meters (calendar-month, UTC). */
export type MeterName = string;

/** Names of the per-plan caps on owned resources (eval rules, projects, api keys, seats). */
export type CapName = string;

/** `null` means unlimited wherever a limit is expected. */
export type Limit = number | null;

/** Short-term burst allowance: `multiplier`× the plan's average rate for `seconds`. */
export interface Burst {
  multiplier: number;
  seconds: number;
}

export interface Plan {
  id: PlanId;
  name: string;
  /** 0 for the first (cheapest) plan; a plan may call an operation gated at a rank ≤ its own. */
  rank: number;
  priceUsdMonth: number | null;
  requestsPerMinute: number;
  burst: Burst | null;
  /** Monthly quota per meter; null = unlimited. */
  quotas: Record<MeterName, Limit>;
  /** Cap per owned resource; null = unlimited. */
  caps: Record<CapName, Limit>;
  retentionDays: Limit;
  /** `hard_stop`: requests past a quota get 402; `continue`: they are admitted and billed as overage. */
  overage: 'hard_stop' | 'continue';
  features: string[];
}

export type PolicyScope = 'api_key' | 'tenant' | 'ip';
/**
 * How a policy counts (`algorithm` in `x-traceloom`): `fixed-window` (a counter per aligned
 * window), `sliding-window` (the exact log: at most `limit` in any window, one stored stamp per
 * admitted request), `sliding-window-counter` (two window counters weighted by overlap: O(1)
 * state, at most `limit` per aligned window and at most 2·limit − 1 in any window; see
 * SLIDING_COUNTER_ERROR_BOUND in src/policy), `token-bucket` (GCRA).
 */
export type PolicyAlgorithm = 'fixed-window' | 'sliding-window' | 'sliding-window-counter' | 'token-bucket';

export interface RateLimitPolicy {
  name: string;
  description: string;
  scope: PolicyScope;
  algorithm: PolicyAlgorithm;
  windowSeconds: number;
  /** Requests admitted per window, per plan; null = not limited on that plan. */
  limits: Record<PlanId, Limit>;
  /** Per-plan burst allowance, or null where the policy has none. */
  burst: Record<PlanId, Burst | null> | null;
}

export interface Meter {
  name: MeterName;
  description: string;
  period: 'calendar_month';
}

export interface ErrorDef {
  code: string;
  status: number;
  title: string;
  retryable: boolean;
  description: string;
}

/** How one request consumes a meter (`x-traceloom-quota`). */
export interface QuotaRule {
  meter: MeterName;
  /** `per_request`: 1 per request; `per_item`: the length of the array at `items`. */
  count: 'per_request' | 'per_item';
  /** Dotted path into the JSON body, e.g. `traces` or `spans` or `traces[].spans`. */
  items?: string;
  /** With `per_item`: count distinct values of this member instead of items (OTLP spans → traces). */
  distinct?: string;
}

export interface OperationModel {
  operationId: string;
  method: string;
  /** Path template as in the contract, e.g. `/v1/traces/{trace_id}`. */
  path: string;
  tag: string;
  summary: string;
  /** Names of the rate-limit policies that must all admit (`x-traceloom-rate-limit`). */
  policies: string[];
  quotas: QuotaRule[];
  /** The owned-resource cap a create counts against (`x-traceloom-cap`). */
  cap: CapName | null;
  /** Lowest plan allowed to call it (`x-traceloom-plan`), or null for every plan. */
  plan: PlanId | null;
  maxBodyBytes: number | null;
  /** Item-count limit on an array in the body (`x-traceloom-max-items`). */
  maxItems: { field: string; max: number } | null;
  /** Alternative security requirements; empty = public. Each maps scheme → scopes. */
  security: Record<string, string[]>[];
  /** Error codes the operation documents (from its named error examples). */
  errorCodes: string[];
  deprecated: boolean;
  requestContentTypes: string[];
  /** Content codings the body may come in besides identity (its `Content-Encoding` header parameter's enum). */
  contentEncodings: string[];
}

export interface ContractModel {
  title: string;
  version: string;
  docsBaseUrl: string;
  plans: Plan[];
  policies: Record<string, RateLimitPolicy>;
  meters: Record<MeterName, Meter>;
  capNames: CapName[];
  errors: Record<string, ErrorDef>;
  operations: OperationModel[];
}
