/**
 * Resolve what applies to one (operation, plan) pair from the contract model, once: the plan,
 * the gate, and the limiters with their burst companions. Cached per operation object and
 * model, so `decide` does no model walking on the hot path.
 * @module
 */
import type { ContractModel, OperationModel, Plan, PolicyScope, RateLimitPolicy } from '../contract/model.js';
import { limiterKeyPart } from './keys.js';
import type { LimiterKind, LimiterSpec } from './types.js';

/** One limiter of an operation on a plan: a policy, or a policy's burst companion. */
export interface CompiledLimiter extends LimiterSpec {
  policy: RateLimitPolicy;
  scope: PolicyScope;
  /** Key part after the hash tag; the scope id follows it. */
  keyPart: string;
}

/** The store keys of one (tenant, API key) pair; the ids are kept to tell a hit from a collision. */
export interface CachedKeys {
  tenantId: string;
  apiKeyId: string;
  keys: readonly string[];
}

export interface CompiledOperation {
  plan: Plan;
  /** Lowest plan allowed, or null when every plan may call. */
  requiredPlan: Plan | null;
  limiters: CompiledLimiter[];
  /** Some limiter counts per ip (its keys are not cached). */
  hasIpScope: boolean;
  /** Store keys of recent requests, by API key id (or tenant id without one); maintained by `decide`. */
  keyCache: Map<string, CachedKeys>;
}

const ALGORITHM_KIND: Record<RateLimitPolicy['algorithm'], LimiterKind> = {
  'fixed-window': 'fixed',
  'sliding-window': 'sliding',
  'sliding-window-counter': 'counter',
  'token-bucket': 'gcra',
};

/** The store's limiter kind for a contract algorithm. */
export function kindOf(algorithm: RateLimitPolicy['algorithm']): LimiterKind {
  return ALGORITHM_KIND[algorithm];
}

/**
 * Burst semantics (fixed): a policy of limit L per window W with burst `{multiplier m, seconds d}`
 * gets a companion `<policy>.burst`, a GCRA bucket of capacity C = floor(m·L·d/W) (at least 1)
 * that refills evenly over d seconds (C/d ≈ m·L/W per second): a client may go m× its average
 * rate, and start with C requests at once. Precisely: at most C at one instant, at most C + C·s/d
 * in any s seconds (so ≤ 2C in any d seconds), sustained ≤ C/d per second; the policy itself
 * still caps L per W. Both must admit, and both are announced (RateLimit-Policy `q=C;w=d`). On
 * the free plan (60/min, 2× for 10 s) a flood is admitted 20 at once, then refused with
 * Retry-After 1, then one every 500 ms until 60 in the minute.
 */
export function burstCapacity(limit: number, windowSeconds: number, multiplier: number, seconds: number): number {
  return Math.max(1, Math.floor((multiplier * limit * seconds) / windowSeconds + 1e-9));
}

function compileLimiters(model: ContractModel, operation: OperationModel, plan: Plan): CompiledLimiter[] {
  const out: CompiledLimiter[] = [];
  for (const name of operation.policies) {
    const policy = model.policies[name];
    if (!policy) {
      throw new Error(
        `\`x-traceloom-rate-limit\` names unknown policy \`${name}\` on ${operation.method.toUpperCase()} ${operation.path}; ` +
          `known: ${Object.keys(model.policies).join(', ')}`,
      );
    }
    const limit = policy.limits[plan.id];
    // null (or absent): the policy does not limit this plan, so it neither applies nor is announced.
    if (limit === null || limit === undefined) continue;
    const kind = ALGORITHM_KIND[policy.algorithm];
    out.push({
      name,
      policy,
      scope: policy.scope,
      kind,
      limit,
      windowMs: policy.windowSeconds * 1000,
      windowSeconds: policy.windowSeconds,
      keyPart: limiterKeyPart(kind, name, policy.scope),
    });
    const burst = policy.burst?.[plan.id] ?? null;
    if (burst) {
      const burstName = `${name}.burst`;
      out.push({
        name: burstName,
        policy,
        scope: policy.scope,
        kind: 'gcra',
        limit: burstCapacity(limit, policy.windowSeconds, burst.multiplier, burst.seconds),
        windowMs: burst.seconds * 1000,
        windowSeconds: burst.seconds,
        keyPart: limiterKeyPart('gcra', burstName, policy.scope),
      });
    }
  }
  return out;
}

function findPlan(model: ContractModel, id: string): Plan {
  const plan = model.plans.find((p) => p.id === id);
  if (!plan) throw new Error(`unknown plan \`${id}\`; known: ${model.plans.map((p) => p.id).join(', ')}`);
  return plan;
}

interface CacheEntry {
  model: ContractModel;
  byPlan: Map<string, CompiledOperation>;
}
const cache = new WeakMap<OperationModel, CacheEntry>();

/** What applies to `operation` for a tenant on `planId` (cached; throws on unknown names). */
export function compileOperation(model: ContractModel, operation: OperationModel, planId: string): CompiledOperation {
  let entry = cache.get(operation);
  if (entry === undefined || entry.model !== model) {
    entry = { model, byPlan: new Map() };
    cache.set(operation, entry);
  }
  let compiled = entry.byPlan.get(planId);
  if (compiled === undefined) {
    const plan = findPlan(model, planId);
    const limiters = compileLimiters(model, operation, plan);
    compiled = {
      plan,
      requiredPlan: operation.plan === null ? null : findPlan(model, operation.plan),
      limiters,
      hasIpScope: limiters.some((l) => l.scope === 'ip'),
      keyCache: new Map(),
    };
    entry.byPlan.set(planId, compiled);
  }
  return compiled;
}
