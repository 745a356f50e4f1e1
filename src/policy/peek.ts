/**
 * `peekPolicies`: the current state of every rate-limit policy (and burst companion) of one
 * caller, read from the store without consuming anything — what the mock console shows as
 * remaining/limit with a countdown. Uses the same compiled limiters and store keys as `decide`,
 * so it reads exactly the counters requests consume.
 * @module
 */
import type { ContractModel, OperationModel, PolicyScope } from '../contract/model.js';
import { compileOperation } from './compile.js';
import { hashTag, scopeId } from './keys.js';
import type { PolicyState, PolicyStore } from './types.js';

/** One limiter's state for a caller, with the scope it is counted in. */
export interface PeekedPolicy extends PolicyState {
  scope: PolicyScope;
}

/** A synthetic operation naming every policy that is not ip-scoped, one per model. */
const everyPolicy = new WeakMap<ContractModel, OperationModel>();

function allPolicies(model: ContractModel): OperationModel {
  let op = everyPolicy.get(model);
  if (op === undefined) {
    op = {
      operationId: '__peek',
      method: 'GET',
      path: '/__peek',
      tag: '',
      summary: '',
      policies: Object.values(model.policies)
        .filter((p) => p.scope !== 'ip')
        .map((p) => p.name),
      quotas: [],
      cap: null,
      plan: null,
      maxBodyBytes: null,
      maxItems: null,
      security: [],
      errorCodes: [],
      deprecated: false,
      requestContentTypes: [],
      contentEncodings: [],
    };
    everyPolicy.set(model, op);
  }
  return op;
}

/**
 * Every api_key- and tenant-scoped limiter applying to `planId`, as seen by `apiKeyId` of
 * `tenantId` at `now` (one store call, `consume: false`). Rejects when the store fails.
 */
export async function peekPolicies(
  model: ContractModel,
  store: PolicyStore,
  facts: { planId: string; tenantId: string; apiKeyId: string | null; now: number },
): Promise<PeekedPolicy[]> {
  const c = compileOperation(model, allPolicies(model), facts.planId);
  if (c.limiters.length === 0) return [];
  const tag = hashTag(facts.tenantId, null);
  const keys = c.limiters.map((l) => tag + l.keyPart + scopeId(l.scope, facts.tenantId, facts.apiKeyId, null));
  const res = await store.evaluate({ now: facts.now, consume: false, specs: c.limiters, keys, usageKey: null, meters: [] });
  return res.limiters.map((s, i) => ({
    name: s.name,
    limit: s.limit,
    remaining: s.remaining,
    resetAt: s.resetAt,
    windowSeconds: s.windowSeconds,
    scope: c.limiters[i]!.scope,
  }));
}
