/**
 * The control API under `/__mock` (localhost only): state, reset, clock, plan, usage, project
 * status. It acts on the shared store, so on every instance using it. Its routes are part of the
 * mock's one route table (routes.ts); requests go through the shared body reader and request ids.
 * @module
 */
import { SignJWT } from 'jose';
import type { ContractModel } from '../contract/index.js';
import type { Answer } from '../http/index.js';
import type { PolicyStore } from '../policy/index.js';
import { MAX_ADVANCE_SECONDS, type MockClock } from './clock.js';
import type { StateDirectory } from './directory.js';
import type { Fixtures } from './fixtures.js';
import { tenantLimits } from './console/limits.js';
import type { StateStore } from './store/index.js';

/** What control operations act on; the live parts are swapped on hot reload. */
export interface ControlContext {
  model: ContractModel;
  fixtures: Fixtures;
  directory: StateDirectory;
  state: StateStore;
  policy: PolicyStore;
  clock: MockClock;
}

/** A control request: path parameters and the JSON body (`{}` when there is none). */
export interface ControlRequest {
  params: string[];
  body: Record<string, unknown>;
}

export type ControlHandler = (req: ControlRequest, ctx: ControlContext) => Promise<Answer>;

const bad = (detail: string): Answer => ({ problem: 'invalid_request', members: { detail } });

/** `GET /__mock/state`: tenants, plans, keys, projects, usage, trace counts, session tokens, clock. */
export async function snapshot(_req: ControlRequest, ctx: ControlContext): Promise<Answer> {
  const meters = Object.keys(ctx.model.meters);
  const secret = new TextEncoder().encode(ctx.fixtures.jwtSecret);
  const now = ctx.clock.now();
  const nowS = Math.floor(now / 1000);
  const tenants = await Promise.all(
    ctx.fixtures.tenants.map(async (t) => {
      const [plan, keys, projects, usage, traces] = await Promise.all([
        ctx.directory.planOf(t.id),
        ctx.state.list(t.id, 'keys', { order: 'asc', after: null, limit: 1000 }),
        ctx.state.list(t.id, 'projects', { order: 'asc', after: null, limit: 1000 }),
        ctx.policy.getUsage(t.id, meters, now),
        ctx.state.count(t.id, 'traces'),
      ]);
      const keyDocs = keys.items.map(({ doc }) => doc);
      return {
        id: t.id,
        name: t.name,
        plan,
        keys: keyDocs.map((k) => ({ key: k.secret, id: k.id, scopes: k.scopes, project_id: k.projectId, revoked: k.revoked })),
        projects: projects.items.map(({ doc: p }) => ({ id: p.id, name: p.name, status: p.status })),
        usage,
        // Each policy's remaining/limit per key or tenant, read without consuming (the console's meters).
        limits: await tenantLimits(ctx.model, ctx.policy, { id: t.id, plan, keys: keyDocs }, now),
        traces,
        session_token: await new SignJWT({ tenant_id: t.id })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(`usr_${t.id.slice(4)}`)
          .setIssuedAt(nowS)
          .setExpirationTime(nowS + ctx.fixtures.jwtTtlSeconds)
          .sign(secret),
      };
    }),
  );
  return { status: 200, body: { clock: new Date(now).toISOString(), frozen: ctx.clock.frozen, plans: ctx.model.plans, tenants } };
}

/** `POST /__mock/reset`: clock, state of every tenant, counters and usage back to the start. */
export async function reset(req: ControlRequest, ctx: ControlContext): Promise<Answer> {
  await ctx.clock.reset();
  await ctx.directory.seedAll(true);
  await ctx.policy.reset();
  return snapshot(req, ctx);
}

/** `POST /__mock/clock {advance_seconds, freeze}`. */
export async function setClock({ body }: ControlRequest, ctx: ControlContext): Promise<Answer> {
  const s = body.advance_seconds ?? 0;
  if (typeof s !== 'number' || !Number.isFinite(s) || s < 0 || s > MAX_ADVANCE_SECONDS)
    return bad(`\`advance_seconds\` must be a number of seconds from 0 to ${MAX_ADVANCE_SECONDS.toLocaleString('en')}.`);
  if (body.freeze !== undefined && typeof body.freeze !== 'boolean') return bad('`freeze` must be true or false.');
  await ctx.clock.set({ advanceSeconds: s, freeze: body.freeze as boolean | undefined });
  return { status: 200, body: { clock: new Date(ctx.clock.now()).toISOString(), frozen: ctx.clock.frozen } };
}

/** `PUT /__mock/projects/{id} {status}`. */
export async function setProjectStatus({ params: [id], body }: ControlRequest, ctx: ControlContext): Promise<Answer> {
  if (body.status !== 'active' && body.status !== 'archived') return bad('`status` must be `active` or `archived`.');
  const status = body.status;
  const at = new Date(ctx.clock.now()).toISOString();
  for (const t of ctx.fixtures.tenants) {
    const p = await ctx.state.update(t.id, 'projects', id!, (doc) => ({ ...doc, status, archived_at: status === 'archived' ? at : null }));
    if (p) return { status: 200, body: { id: p.id, status: p.status } };
  }
  return { problem: 'not_found', members: { detail: `No project ${id}.` } };
}

const tenantOr404 = (ctx: ControlContext, id: string | undefined): Answer | null =>
  id && ctx.directory.hasTenant(id) ? null : { problem: 'not_found', members: { detail: `No tenant ${id}; known: ${ctx.directory.tenantIds().join(', ')}.` } };

/** `PUT /__mock/tenants/{id}/plan {plan}`. */
export async function setPlan({ params: [id], body }: ControlRequest, ctx: ControlContext): Promise<Answer> {
  const missing = tenantOr404(ctx, id);
  if (missing) return missing;
  const plans = ctx.model.plans.map((p) => p.id);
  if (typeof body.plan !== 'string' || !plans.includes(body.plan)) return bad(`\`plan\` must be one of ${plans.join(', ')}.`);
  await ctx.directory.planOf(id!); // seeds the tenant first if it has no state
  await ctx.state.setPlan(id!, body.plan);
  return { status: 200, body: { id, plan: body.plan } };
}

/** `PUT /__mock/tenants/{id}/usage {meter: value}`. */
export async function setUsage({ params: [id], body }: ControlRequest, ctx: ControlContext): Promise<Answer> {
  const missing = tenantOr404(ctx, id);
  if (missing) return missing;
  const meters = Object.keys(ctx.model.meters);
  const values: Record<string, number> = {};
  for (const [k, v] of Object.entries(body)) {
    if (!meters.includes(k)) return bad(`unknown meter \`${k}\`; known: ${meters.join(', ')}.`);
    if (!Number.isInteger(v) || (v as number) < 0) return bad(`\`${k}\` must be an integer ≥ 0.`);
    values[k] = v as number;
  }
  await ctx.policy.setUsage(id!, values, ctx.clock.now());
  return { status: 200, body: { id, usage: await ctx.policy.getUsage(id!, meters, ctx.clock.now()) } };
}
