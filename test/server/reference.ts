/**
 * A tiny in-memory reference implementation of the operations the conformance suite exercises,
 * written against the generated handler types — what a backend developer writes.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { components } from '../../generated/types.js';
import type { Handlers } from '../../generated/server.js';
import { loadFixtures } from '../../src/mock/fixture-files.js';
import { digestOf, type KeyRecord, type TenantDirectory } from '../../src/http/index.js';
import { applyOverrides, MemoryStore, parsePolicyOption } from '../../src/policy/index.js';
import { createServer, type ServerContext } from '../../src/server/index.js';
import { loadContract } from '../../src/contract/index.js';
import { exportTraces } from '../../src/otlp/index.js';
import { targetKeysOf, type Target } from '../conformance/suite.js';

type Trace = components['schemas']['Trace'];

interface Tenant {
  plan: string;
  projects: components['schemas']['Project'][];
  traces: Map<string, Trace>;
  rules: components['schemas']['EvalRule'][];
}

/** `policies`: `NAME=LIMIT/WINDOW` overrides, as the mock's `--policy` (the fuzz suite raises every limit). */
export async function serverTarget(options: { policies?: string[] } = {}): Promise<Target> {
  const contract = await loadContract();
  const document = contract.document;
  const model = options.policies ? applyOverrides(contract.model, { policies: Object.fromEntries(options.policies.map(parsePolicyOption)) }) : contract.model;
  const fixtures = await loadFixtures(model);
  let offset = 0;
  let frozen: number | null = null;
  const clock = { now: () => (frozen ?? Date.now()) + offset };
  const store = new MemoryStore();
  let tenants = new Map<string, Tenant>();
  const keys = new Map<string, KeyRecord>();
  const seed = () => {
    tenants = new Map(
      fixtures.tenants.map((t) => [
        t.id,
        { plan: t.plan, projects: t.projects.map((p) => ({ ...p, created_at: '2026-01-01T00:00:00Z', archived_at: null })), traces: new Map(), rules: [] },
      ]),
    );
    keys.clear();
    for (const t of fixtures.tenants)
      for (const k of t.keys) keys.set(digestOf(k.key), { id: k.id, tenantId: t.id, scopes: k.scopes, projectId: k.project_id, revoked: k.revoked ?? false });
  };
  seed();
  const tenantOf = (ctx: ServerContext) => tenants.get(ctx.tenantId!)!;
  const directory: TenantDirectory = {
    keyByDigest: (d) => keys.get(d) ?? null,
    hasTenant: (id) => tenants.has(id),
    planOf: (id) => tenants.get(id)!.plan,
    projectStatus: (id, p) => tenants.get(id)?.projects.find((x) => x.id === p)?.status ?? null,
    capUsed: (id, cap) => (cap === 'eval_rules' ? tenants.get(id)!.rules.length : cap === 'projects' ? tenants.get(id)!.projects.length : 0),
  };
  const page = <T>(items: T[], limit = 50, cursor?: string) => {
    const offset = cursor ? Number(cursor.slice(1)) : 0;
    const next = offset + limit < items.length ? `c${offset + limit}` : null;
    return {
      body: { data: items.slice(offset, offset + limit), next_cursor: next },
      headers: next ? { Link: `</v1/traces?cursor=${next}&limit=${limit}>; rel="next"` } : undefined,
    };
  };

  const handlers: Handlers<ServerContext> = {
    getHealth: () => ({ status: 200, body: { status: 'ok', version: '1.0.0', time: new Date(clock.now()).toISOString() } }),
    getUsage: async (_req, ctx) => {
      const t = tenantOf(ctx);
      const plan = model.plans.find((p) => p.id === t.plan)!;
      const used = await store.getUsage(ctx.tenantId!, ['traces', 'spans', 'eval_runs'], clock.now());
      const meter = (m: string) => ({ used: used[m] ?? 0, limit: plan.quotas[m] ?? null, overage: Math.max(0, (used[m] ?? 0) - (plan.quotas[m] ?? Infinity)) });
      return {
        status: 200,
        body: {
          tenant_id: ctx.tenantId!,
          plan: t.plan as components['schemas']['PlanId'],
          period_start: '2026-11-01T00:00:00Z',
          resets_at: '2026-12-01T00:00:00Z',
          meters: { traces: meter('traces'), spans: meter('spans'), eval_runs: meter('eval_runs') },
          caps: {
            eval_rules: { count: t.rules.length, limit: plan.caps.eval_rules ?? null },
            projects: { count: t.projects.length, limit: plan.caps.projects ?? null },
            api_keys: { count: 1, limit: plan.caps.api_keys ?? null },
          },
        },
      };
    },
    ingestTrace: (req, ctx) => {
      const t = tenantOf(ctx);
      if (t.traces.has(req.body.trace_id)) return ctx.problem('trace_already_exists', { trace_id: req.body.trace_id, detail: 'Already ingested.' }) as never;
      t.traces.set(req.body.trace_id, {
        id: req.body.trace_id,
        project_id: ctx.principal!.projectId!,
        name: req.body.name,
        status: 'unset',
        start_time: req.body.start_time,
        span_count: req.body.spans.length,
        created_at: new Date(clock.now()).toISOString(),
        spans: req.body.spans,
      });
      return { status: 202, body: { trace_id: req.body.trace_id, status: 'accepted', spans_accepted: req.body.spans.length } };
    },
    ingestBatch: (req, ctx) => {
      const t = tenantOf(ctx);
      const results = req.body.traces.map((tr, index) => {
        if (t.traces.has(tr.trace_id)) return { index, trace_id: tr.trace_id, status: 'rejected' as const, code: 'trace_already_exists' };
        t.traces.set(tr.trace_id, {
          id: tr.trace_id,
          project_id: ctx.principal!.projectId!,
          name: tr.name,
          status: 'unset',
          start_time: tr.start_time,
          span_count: tr.spans.length,
          created_at: new Date(clock.now()).toISOString(),
          spans: tr.spans,
        });
        return { index, trace_id: tr.trace_id, status: 'accepted' as const };
      });
      const accepted = results.filter((r) => r.status === 'accepted').length;
      return { status: 202, body: { accepted, rejected: results.length - accepted, results } };
    },
    // OTLP: the same mapping and merging as the mock (src/otlp); a protobuf body arrives decoded.
    exportOtlpTraces: (req, ctx) => {
      const { body } = exportTraces(req.body, tenantOf(ctx).traces, { projectId: ctx.principal!.projectId!, now: clock.now() });
      return { status: 200, contentType: 'application/json', body };
    },
    listTraces: (req, ctx) => {
      const items = [...tenantOf(ctx).traces.values()].reverse().map(({ spans: _spans, ...summary }) => summary);
      const p = page(items, req.query.limit ?? 50, req.query.cursor);
      return { status: 200, ...p };
    },
    getTrace: (req, ctx) => {
      const t = tenantOf(ctx).traces.get(req.path.trace_id);
      return t ? { status: 200, body: t } : (ctx.problem('not_found', { detail: `No trace ${req.path.trace_id}.` }) as never);
    },
    listProjects: (_req, ctx) => ({ status: 200, body: { data: tenantOf(ctx).projects, next_cursor: null } }),
    archiveProject: (req, ctx) => {
      const projects = tenantOf(ctx).projects;
      const p = projects.find((x) => x.id === req.path.project_id);
      if (!p) return ctx.problem('not_found', { detail: 'No such project.' }) as never;
      if (projects.filter((x) => x.status === 'active').length === 1 && p.status === 'active')
        return ctx.problem('cannot_archive_last_project', { project_id: p.id }) as never;
      p.status = 'archived';
      return { status: 200, body: p };
    },
    createEvalRule: (req, ctx) => {
      const at = new Date(clock.now()).toISOString();
      const rule = { id: `rule_ref${tenantOf(ctx).rules.length}abcd`, ...req.body, enabled: req.body.enabled ?? true, created_at: at, updated_at: at };
      tenantOf(ctx).rules.push(rule);
      return { status: 201, body: rule };
    },
    listAuditEvents: () => ({ status: 200, body: { data: [], next_cursor: null } }),
  };

  const app = createServer({ handlers, store, directory, clock, document, model });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  // Clients of this test server (Prism's proxy among them) reuse idle connections without an idle
  // timeout of their own; with Node's 5 s keep-alive a loaded machine lets the server close one
  // just as the client writes its next request on it (EPIPE). Keep them longer than any test.
  server.keepAliveTimeout = 120_000;
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    model,
    ...targetKeysOf(fixtures),
    freeze: async () => {
      frozen = Date.now();
    },
    advance: async (s) => {
      offset += s * 1000;
    },
    setUsage: (tenant, values) => store.setUsage(tenant, values, clock.now()),
    setPlan: async (tenant, plan) => {
      tenants.get(tenant)!.plan = plan;
    },
    reset: async () => {
      offset = 0;
      frozen = null;
      seed();
      await store.reset();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
