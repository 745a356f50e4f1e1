/**
 * Caps on owned resources (projects, API keys, eval rules), checked and consumed by the store in
 * the same atomic step as the create, against the tenant's plan at that moment. The policy stage
 * checks them too (a refusal there consumes nothing); this is what holds under concurrent creates.
 * @module
 */
import type { Answer } from '../../http/index.js';
import { quotaCode } from '../../policy/decide.js';
import type { CapCheck, CapName, InsertResult } from '../store/index.js';
import type { ResourceContext } from './context.js';

/** The cap's limit per plan, from the contract. */
export function capCheck(ctx: ResourceContext, name: CapName): CapCheck {
  return { name, limits: Object.fromEntries(ctx.model.plans.map((p) => [p.id, p.caps[name] ?? null])) };
}

/** The 402 the policy stage gives for a cap, for a create the store refused. */
export async function capRefusal(ctx: ResourceContext, tenantId: string, name: CapName, r: Exclude<InsertResult, { ok: true }>): Promise<Answer> {
  if (r.reason !== 'capped') throw new Error(`a random ${name} id was taken; retry the request`);
  const planId = await ctx.state.plan(tenantId);
  const plan = ctx.model.plans.find((p) => p.id === planId);
  return {
    problem: quotaCode(ctx.model, name),
    members: {
      detail: `The ${plan?.name ?? planId} plan allows ${r.limit} ${name.replace(/_/g, ' ')}; ${r.used} exist. Upgrade the plan or delete one first.`,
      limit: r.limit,
      used: r.used,
    },
  };
}
