/**
 * Usage (meters from the policy store, cap counts from the state store) and the audit log.
 * @module
 */
import { StoreUnavailableError } from '../../policy/index.js';
import { CAP_NAMES } from '../store/types.js';
import { iso, page, type Resource, type Schemas } from './context.js';

const getUsage: Resource = async (_req, tenantId, ctx) => {
  const meters = Object.keys(ctx.model.meters);
  // Plan, meters and cap counts in one round trip (the reads are independent).
  const [planId, used, ...counts] = await Promise.all([
    ctx.state.plan(tenantId),
    ctx.policy.getUsage(tenantId, meters, ctx.now()).catch((err: unknown) => {
      throw new StoreUnavailableError('Usage', err);
    }),
    ...CAP_NAMES.map((c) => ctx.state.capCount(tenantId, c)),
  ]);
  const plan = ctx.model.plans.find((p) => p.id === planId) ?? ctx.model.plans[0]!;
  const d = new Date(ctx.now());
  const meterView = Object.fromEntries(
    meters.map((m) => {
      const limit = plan.quotas[m] ?? null;
      const u = used[m] ?? 0;
      return [m, { used: u, limit, overage: limit === null ? 0 : Math.max(0, u - limit) }];
    }),
  );
  const caps = Object.fromEntries(CAP_NAMES.map((c, i) => [c, { count: counts[i] as number, limit: plan.caps[c] ?? null }]));
  const body = {
    tenant_id: tenantId,
    plan: plan.id,
    period_start: iso(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)),
    resets_at: iso(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)),
    meters: meterView,
    caps,
  };
  return { status: 200, body: body as Schemas['Usage'] };
};

const listAuditEvents: Resource = (req, tenantId, ctx) => page(req, tenantId, ctx, 'audit', { order: 'desc' });

/** The usage and audit handlers by operationId. */
export const usageResources: Record<string, Resource> = { getUsage, listAuditEvents };
