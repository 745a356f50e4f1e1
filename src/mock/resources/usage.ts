/**
 * Usage (meters from the policy store, cap counts from the state store) and the audit log.
 * @module
 */
import type { ContractModel, Plan } from '../../contract/index.js';
import { StoreUnavailableError } from '../../policy/index.js';
import { oneByte, type Later } from '../../portable/index.js';
import { CAP_NAMES, type CapName } from '../store/types.js';
import type { Answer } from '../../http/index.js';
import { iso, page, type Resource, type ResourceContext, type Schemas } from './context.js';

/** What `getUsage` reads of a contract model, computed once per model (hot reload makes a new one). */
interface UsageShape {
  meters: string[];
  /** Each plan by id, with its id as the body shows it (one-byte: see oneByte). */
  plans: Map<string, { plan: Plan; id: string }>;
  fallback: { plan: Plan; id: string };
  /** Each tenant's last usage body, with what it was made from (see usageAnswer). */
  last: Map<string, KeptUsage>;
}
const shapes = new WeakMap<ContractModel, UsageShape>();

function shapeOf(model: ContractModel): UsageShape {
  let shape = shapes.get(model);
  if (!shape) {
    const plans = new Map(model.plans.map((p) => [p.id, { plan: p, id: oneByte(p.id) }]));
    shape = { meters: Object.keys(model.meters), plans, fallback: plans.get(model.plans[0]!.id)!, last: new Map() };
    shapes.set(model, shape);
  }
  return shape;
}

/** A usage body as last answered to a tenant (frozen, so `send` serialises it once) and the inputs it shows. */
interface KeptUsage {
  planId: string | null;
  month: number;
  used: number[];
  counts: number[];
  body: Schemas['Usage'];
}
/** Tenants whose last usage body is kept, at most (the map starts again when full). */
const KEPT_USAGE_MAX = 10_000;

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

/** The usage meters, read at once from a store in this process; a store fault is a 503 naming the usage store. */
function usageOf(ctx: ResourceContext, tenantId: string, meters: string[]): Later<Record<string, number>> {
  const unavailable = (err: unknown): never => {
    throw new StoreUnavailableError('Usage', err);
  };
  try {
    const used = ctx.policy.getUsage(tenantId, meters, ctx.now());
    return used instanceof Promise ? used.catch(unavailable) : used;
  } catch (err) {
    return unavailable(err);
  }
}

/** `GET /v1/usage`: waits only for the reads that wait (a store on Redis); the three reads are independent. */
const getUsage: Resource = (_req, tenantId, ctx) => {
  const shape = shapeOf(ctx.model);
  const planId = ctx.state.plan(tenantId);
  const used = usageOf(ctx, tenantId, shape.meters);
  const counts = ctx.state.capCounts(tenantId);
  if (planId instanceof Promise || used instanceof Promise || counts instanceof Promise) {
    return Promise.all([planId, used, counts]).then(([p, u, c]) => usageAnswer(ctx, shape, tenantId, p, u, c));
  }
  return usageAnswer(ctx, shape, tenantId, planId, used, counts);
};

/**
 * The usage body: each meter against the plan's quota, each cap against the plan's limit, for the
 * month of the mock clock. A dashboard polls it while nothing changes: the tenant's last body is
 * answered again (the same frozen object, serialised once by `send`) while plan, meters, caps and
 * month are what it shows.
 */
function usageAnswer(
  ctx: ResourceContext,
  shape: UsageShape,
  tenantId: string,
  planId: string | null,
  used: Record<string, number>,
  counts: Record<CapName, number>,
): Answer {
  const period = monthAt(ctx.now());
  const last = shape.last.get(tenantId);
  if (last && last.planId === planId && last.month === period.from && sameFigures(last, shape.meters, used, counts)) return { status: 200, body: last.body };
  const { plan, id: planView } = (planId !== null && shape.plans.get(planId)) || shape.fallback;
  const meterView: Record<string, { used: number; limit: number | null; overage: number }> = {};
  for (const m of shape.meters) {
    const limit = plan.quotas[m] ?? null;
    const u = used[m] ?? 0;
    meterView[m] = Object.freeze({ used: u, limit, overage: limit === null ? 0 : Math.max(0, u - limit) });
  }
  const caps: Record<string, { count: number; limit: number | null }> = {};
  for (const cap of CAP_NAMES) caps[cap] = Object.freeze({ count: counts[cap], limit: plan.caps[cap] ?? null });
  const body = Object.freeze({
    tenant_id: tenantId,
    plan: planView,
    period_start: period.start,
    resets_at: period.resets,
    meters: Object.freeze(meterView),
    caps: Object.freeze(caps),
  }) as Schemas['Usage'];
  if (shape.last.size >= KEPT_USAGE_MAX) shape.last.clear();
  shape.last.set(tenantId, {
    planId,
    month: period.from,
    used: shape.meters.map((m) => used[m] ?? 0),
    counts: CAP_NAMES.map((c) => counts[c]),
    body,
  });
  return { status: 200, body };
}

/** Whether a kept body shows these meters and cap counts. */
function sameFigures(kept: KeptUsage, meters: string[], used: Record<string, number>, counts: Record<CapName, number>): boolean {
  for (let i = 0; i < meters.length; i++) if (kept.used[i] !== (used[meters[i]!] ?? 0)) return false;
  for (let i = 0; i < CAP_NAMES.length; i++) if (kept.counts[i] !== counts[CAP_NAMES[i]!]) return false;
  return true;
}

const listAuditEvents: Resource = (req, tenantId, ctx) => page(req, tenantId, ctx, 'audit', { order: 'desc' });

/** The usage and audit handlers by operationId. */
export const usageResources: Record<string, Resource> = { getUsage, listAuditEvents };
