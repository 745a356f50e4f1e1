/**
 * The limiters an operation has on a plan, as the rate-limit headers announce them: each policy,
 * followed by its burst companion `<policy>.burst` where the plan has a burst (DESIGN §3.5).
 * @module
 */
import type { ContractModel, OperationModel, Plan } from '../contract/index.js';

/**
 * Capacity of a policy's burst companion `<policy>.burst`: a token bucket of
 * C = max(1, floor(m·L·d/W)) requests refilled evenly over d seconds (DESIGN §3.5 burst semantics).
 */
export function burstCapacity(limit: number, windowSeconds: number, multiplier: number, seconds: number): number {
  return Math.max(1, Math.floor((multiplier * limit * seconds) / windowSeconds + 1e-9));
}

/** One limiter as announced in `RateLimit-Policy`: a policy, or a policy's burst companion. */
export interface Limiter {
  name: string;
  /** `q`: requests per `w` seconds. */
  q: number;
  w: number;
  /** Window limiters free their quota when the window passes; buckets one request every w/q s. */
  kind: 'window' | 'bucket';
}

/** The limiters an operation has on a plan, in announcement order (policy, then its burst). */
export function limitersOf(model: ContractModel, op: OperationModel, plan: Plan): Limiter[] {
  const out: Limiter[] = [];
  for (const name of op.policies) {
    const policy = model.policies[name];
    const limit = policy?.limits[plan.id];
    if (!policy || limit === null || limit === undefined) continue;
    out.push({ name, q: limit, w: policy.windowSeconds, kind: policy.algorithm === 'token-bucket' ? 'bucket' : 'window' });
    const burst = policy.burst?.[plan.id];
    if (burst) {
      out.push({
        name: `${name}.burst`,
        q: burstCapacity(limit, policy.windowSeconds, burst.multiplier, burst.seconds),
        w: burst.seconds,
        kind: 'bucket',
      });
    }
  }
  return out;
}
