/**
 * Usage (meters from the policy store, cap counts from the state store) and the audit log.
 * @module
 */
import type { ContractModel, Plan } from '../../contract/index.js';
import { StoreUnavailableError } from '../../policy/index.js';
import { oneByte } from '../../portable/index.js';
import { CAP_NAMES } from '../store/types.js';
import { iso, page, type Resource, type Schemas } from './context.js';

/** What `getUsage` reads of a contract model, computed once per model (hot reload makes a new one). */
interface UsageShape {
  meters: string[];
  /** Each plan by id, with its id as the body shows it (one-byte: see oneByte). */
  plans: Map<string, { plan: Plan; id: string }>;
  fallback: { plan: Plan; id: string };
}
const shapes = new WeakMap<ContractModel, UsageShape>();

function shapeOf(model: ContractModel): UsageShape {
  let shape = shapes.get(model);
  if (!shape) {
    const plans = new Map(model.plans.map((p) => [p.id, { plan: p, id: oneByte(p.id) }]));
    shape = { meters: Object.keys(model.meters), plans, fallback: plans.get(model.plans[0]!.id)! };
    shapes.set(model, shape);
  }
  return shape;
}

/** The calendar month (UTC) holding `ms` as ISO strings; the last one is kept, as every request of a month asks for it. */
let month = { from: 0, to: 0, start: '', resets: '' };
function monthAt(ms: number): typeof month {
  if (ms >= month.from && ms < month.to) return month;
  const d = new Date(ms);
  const from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const to = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  month = { from, to, start: iso(from), resets: iso(to) };
  return month;
}

const getUsage: Resource = async (_req, tenantId, ctx) => {
  const { meters, plans, fallback } = shapeOf(ctx.model);
  // Plan, meters and cap counts in one round trip (the reads are independent).
  const [planId, used, counts] = await Promise.all([
    ctx.state.plan(tenantId),
    ctx.policy.getUsage(tenantId, meters, ctx.now()).catch((err: unknown) => {
      throw new StoreUnavailableError('Usage', err);
    }),
    ctx.state.capCounts(tenantId),
  ]);
  const { plan, id: planView } = (planId !== null && plans.get(planId)) || fallback;
  const period = monthAt(ctx.now());
  const meterView: Record<string, { used: number; limit: number | null; overage: number }> = {};
  for (const m of meters) {
    const limit = plan.quotas[m] ?? null;
    const u = used[m] ?? 0;
    meterView[m] = { used: u, limit, overage: limit === null ? 0 : Math.max(0, u - limit) };
  }
  const caps: Record<string, { count: number; limit: number | null }> = {};
  for (const cap of CAP_NAMES) caps[cap] = { count: counts[cap], limit: plan.caps[cap] ?? null };
  const body = {
    tenant_id: tenantId,
    plan: planView,
    period_start: period.start,
    resets_at: period.resets,
    meters: meterView,
    caps,
  };
  return { status: 200, body: body as Schemas['Usage'] };
};

const listAuditEvents: Resource = (req, tenantId, ctx) => page(req, tenantId, ctx, 'audit', { order: 'desc' });

/** The usage and audit handlers by operationId. */
export const usageResources: Record<string, Resource> = { getUsage, listAuditEvents };
