/**
 * Stateful operation handlers: what a tenant creates through the mock comes back from its GETs.
 * Operations without a handler here are answered by Prism from the contract's examples.
 * @module
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { ContractModel } from '../contract/index.js';
import type { Answer, OperationRequest } from '../http/index.js';
import { exportTraces } from '../otlp/index.js';
import type { PolicyStore } from '../policy/index.js';
import { MockState, newId, type Json, type TenantRecord } from './state.js';

export type Handler = (req: OperationRequest, tenant: TenantRecord) => Answer | Promise<Answer>;

export interface HandlerContext {
  state: MockState;
  store: PolicyStore;
  model: ContractModel;
  now: () => number;
  version: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

// A fixed Ed25519 key for mock attestations (PKCS#8 of a well-known test seed; never a real key).
const SIGNING_KEY = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), createHash('sha256').update('traceloom-mock-attestations').digest()]),
  format: 'der',
  type: 'pkcs8',
});
const VERIFY_KEY = createPublicKey(SIGNING_KEY);
const SIGNING_KEY_ID = 'sig_mock2026';

function attestationPayload(a: Json): Buffer {
  return Buffer.from(`${a.id}\n${a.trace_id}\n${a.digest}\n${a.issued_at}`);
}

/** One page of `items` (already ordered) with `next_cursor` and a `Link: rel="next"` header. */
function page(req: OperationRequest, items: Json[]): Answer {
  const limit = Number(req.query.limit ?? 50);
  const cursor = req.query.cursor as string | undefined;
  let offset = 0;
  if (cursor !== undefined) {
    const m = /^c([0-9a-z]{1,8})$/.exec(cursor);
    if (!m) return { problem: 'invalid_request', members: { detail: `Cursor \`${cursor}\` is not one this API issued; start again without it.` } };
    offset = parseInt(m[1]!, 36);
  }
  const data = items.slice(offset, offset + limit);
  const next = offset + limit < items.length ? `c${(offset + limit).toString(36)}` : null;
  const headers: Record<string, string> = {};
  if (next) {
    const url = new URL(req.url.pathname + req.url.search, 'http://localhost');
    url.searchParams.set('cursor', next);
    url.searchParams.set('limit', String(limit));
    headers.Link = `<${url.pathname}${url.search}>; rel="next"`;
  }
  return { status: 200, body: { data, next_cursor: next }, headers };
}

const notFound = (what: string, id: string): Answer => ({ problem: 'not_found', members: { detail: `No ${what} ${id} in this tenant.` } });

function traceRecord(input: Json, projectId: string, now: number): Json {
  const spans: Json[] = input.spans ?? [];
  const start = Date.parse(input.start_time);
  const end = input.end_time ? Date.parse(input.end_time) : null;
  const totalTokens = spans.reduce((n, s) => n + (s.usage?.total_tokens ?? 0), 0);
  const cost = spans.reduce((n, s) => n + (s.cost_usd ?? 0), 0);
  const t: Json = {
    id: input.trace_id,
    project_id: projectId,
    name: input.name,
    status: input.status ?? 'unset',
    start_time: input.start_time,
    span_count: spans.length,
    total_tokens: totalTokens,
    cost_usd: Math.round(cost * 1e8) / 1e8,
    tags: input.tags ?? [],
    created_at: iso(now),
    spans,
  };
  if (input.end_time) t.end_time = input.end_time;
  if (end !== null && Number.isFinite(start)) t.duration_ms = Math.max(0, end - start);
  for (const k of ['user_id', 'session_id', 'input', 'output', 'metadata']) if (input[k] !== undefined) t[k] = input[k];
  return t;
}

const summaryOf = (t: Json): Json => {
  const { spans: _s, input: _i, output: _o, metadata: _m, ...summary } = t;
  return summary;
};

/** The handlers by operationId. */
export function createHandlers(ctx: HandlerContext): Record<string, Handler> {
  const { state, now } = ctx;
  const actor = (req: OperationRequest) => ({ type: req.principal?.kind === 'session' ? 'user' : 'api_key', id: req.principal?.keyId ?? 'system' });

  const ingestOne = (tenant: TenantRecord, projectId: string, input: Json): { ok: true; spans: number } | { ok: false; code: string; detail: string } => {
    if (tenant.traces.has(input.trace_id)) return { ok: false, code: 'trace_already_exists', detail: `Trace ${input.trace_id} was already ingested.` };
    tenant.traces.set(input.trace_id, traceRecord(input, projectId, now()));
    return { ok: true, spans: (input.spans ?? []).length };
  };

  const list = <T>(m: Map<string, T>) => [...m.values()];

  return {
    getHealth: () => ({ status: 200, body: { status: 'ok', version: ctx.version, time: iso(now()) } }),

    ingestTrace: (req, tenant) => {
      const r = ingestOne(tenant, req.principal!.projectId!, req.body as Json);
      if (!r.ok) return { problem: r.code, members: { detail: r.detail, trace_id: (req.body as Json).trace_id } };
      return { status: 202, body: { trace_id: (req.body as Json).trace_id, status: 'accepted', spans_accepted: r.spans } };
    },

    ingestBatch: (req, tenant) => {
      const results: Json[] = [];
      let traces = 0;
      let spans = 0;
      (req.body as Json).traces.forEach((t: Json, index: number) => {
        const r = ingestOne(tenant, req.principal!.projectId!, t);
        if (r.ok) {
          traces += 1;
          spans += r.spans;
          results.push({ index, trace_id: t.trace_id, status: 'accepted' });
        } else {
          results.push({ index, trace_id: t.trace_id, status: 'rejected', code: r.code, detail: r.detail });
        }
      });
      return { status: 202, body: { accepted: traces, rejected: results.length - traces, results }, usage: { traces, spans } };
    },

    exportOtlpTraces: (req, tenant) => {
      const { body, usage } = exportTraces(req.body, tenant.traces, { projectId: req.principal!.projectId!, now: now() });
      return { status: 200, body, usage };
    },

    listTraces: (req, tenant) => {
      const from = req.query.from ? Date.parse(String(req.query.from)) : -Infinity;
      const to = req.query.to ? Date.parse(String(req.query.to)) : Infinity;
      const items = list(tenant.traces)
        .filter((t) => (!req.query.project_id || t.project_id === req.query.project_id) && Date.parse(t.start_time) >= from && Date.parse(t.start_time) < to)
        .reverse()
        .map(summaryOf);
      return page(req, items);
    },
    getTrace: (req, tenant) => {
      const t = tenant.traces.get(req.params.trace_id!);
      return t ? { status: 200, body: t } : notFound('trace', req.params.trace_id!);
    },
    deleteTrace: (req, tenant) => {
      const id = req.params.trace_id!;
      if (!tenant.traces.delete(id)) return notFound('trace', id);
      for (const [k, f] of tenant.feedback) if (f.trace_id === id) tenant.feedback.delete(k);
      return { status: 204 };
    },

    createFeedback: (req, tenant) => {
      const b = req.body as Json;
      const trace = tenant.traces.get(b.trace_id);
      if (!trace) return notFound('trace', b.trace_id);
      if (b.span_id && !trace.spans.some((s: Json) => s.span_id === b.span_id)) return notFound('span', b.span_id);
      const fb = { id: newId('fb'), ...b, source: b.source ?? 'api', created_at: iso(now()) };
      tenant.feedback.set(fb.id, fb);
      return { status: 201, body: fb };
    },
    listFeedback: (req, tenant) => page(req, list(tenant.feedback).filter((f) => !req.query.trace_id || f.trace_id === req.query.trace_id).reverse()),
    getFeedback: (req, tenant) => tenant.feedback.get(req.params.feedback_id!) ? { status: 200, body: tenant.feedback.get(req.params.feedback_id!) } : notFound('feedback', req.params.feedback_id!),

    createEval: (req, tenant) => {
      const b = req.body as Json;
      if (!tenant.traces.has(b.trace_id)) return notFound('trace', b.trace_id);
      const ev = { id: newId('ev'), trace_id: b.trace_id, evaluator: b.evaluator, status: 'queued', score: null, reasoning: null, created_at: iso(now()), completed_at: null };
      tenant.evals.set(ev.id, ev);
      return { status: 202, body: ev };
    },
    getEval: (req, tenant) => {
      const ev = tenant.evals.get(req.params.eval_id!);
      if (!ev) return notFound('eval run', req.params.eval_id!);
      if (ev.status === 'queued') {
        // Runs complete on first read: deterministic score from the ids.
        const h = createHash('sha256').update(ev.id + ev.trace_id).digest();
        Object.assign(ev, { status: 'succeeded', score: Math.round((h[0]! / 255) * 100) / 100, reasoning: `Mock ${ev.evaluator} evaluation.`, completed_at: iso(now()) });
      }
      return { status: 200, body: ev };
    },
    listEvals: (req, tenant) => page(req, list(tenant.evals).filter((e) => !req.query.trace_id || e.trace_id === req.query.trace_id).reverse()),

    listEvalRules: (req, tenant) => page(req, list(tenant.evalRules)),
    createEvalRule: (req, tenant) => {
      const at = iso(now());
      const rule = { id: newId('rule'), enabled: true, ...(req.body as Json), created_at: at, updated_at: at };
      tenant.evalRules.set(rule.id, rule);
      return { status: 201, body: rule, headers: { Location: `/v1/eval-rules/${rule.id}` } };
    },
    getEvalRule: (req, tenant) => tenant.evalRules.get(req.params.rule_id!) ? { status: 200, body: tenant.evalRules.get(req.params.rule_id!) } : notFound('eval rule', req.params.rule_id!),
    updateEvalRule: (req, tenant) => {
      const rule = tenant.evalRules.get(req.params.rule_id!);
      if (!rule) return notFound('eval rule', req.params.rule_id!);
      Object.assign(rule, req.body as Json, { updated_at: iso(now()) });
      return { status: 200, body: rule };
    },
    deleteEvalRule: (req, tenant) => (tenant.evalRules.delete(req.params.rule_id!) ? { status: 204 } : notFound('eval rule', req.params.rule_id!)),

    getMetrics: (req, tenant) => {
      const to = req.query.to ? Date.parse(String(req.query.to)) : Math.ceil(now() / 3600_000) * 3600_000;
      const from = req.query.from ? Date.parse(String(req.query.from)) : to - 24 * 3600_000;
      if (!(from < to)) return { problem: 'invalid_request', members: { detail: '`from` must be before `to`.' } };
      const interval = to - from <= 6 * 3600_000 ? 'minute' : to - from <= 60 * 86400_000 ? 'hour' : 'day';
      const step = { minute: 60_000, hour: 3600_000, day: 86400_000 }[interval];
      // One pass over the traces into buckets (a scan per bucket took seconds for a tenant with
      // thousands of traces over a long range); the buckets start before `to`, the last may end after it.
      const first = Math.floor(from / step) * step;
      const end = first + Math.ceil((to - first) / step) * step;
      const buckets = new Map<number, Json[]>();
      for (const tr of tenant.traces.values()) {
        const s = Date.parse(tr.start_time);
        if (!(s >= first && s < end) || (req.query.project_id && tr.project_id !== req.query.project_id)) continue;
        const t = first + Math.floor((s - first) / step) * step;
        const bucket = buckets.get(t);
        if (bucket) bucket.push(tr);
        else buckets.set(t, [tr]);
      }
      const points: Json[] = [];
      for (const t of [...buckets.keys()].sort((a, b) => a - b).slice(0, 1440)) {
        const inBucket = buckets.get(t)!;
        const durations = inBucket.map((tr) => tr.duration_ms ?? 0).sort((a, b) => a - b);
        const pct = (p: number) => durations[Math.min(durations.length - 1, Math.floor(p * durations.length))]!;
        points.push({
          timestamp: iso(t),
          trace_count: inBucket.length,
          span_count: inBucket.reduce((n, tr) => n + tr.span_count, 0),
          error_count: inBucket.filter((tr) => tr.status === 'error').length,
          latency_ms: { p50: pct(0.5), p90: pct(0.9), p99: pct(0.99) },
          tokens: { total_tokens: inBucket.reduce((n, tr) => n + tr.total_tokens, 0) },
          cost_usd: Math.round(inBucket.reduce((n, tr) => n + tr.cost_usd, 0) * 1e6) / 1e6,
        });
      }
      return { status: 200, body: { interval, from: iso(from), to: iso(to), points } };
    },

    listProjects: (req, tenant) => page(req, list(tenant.projects)),
    createProject: (req, tenant) => {
      const p = { id: newId('prj'), name: (req.body as Json).name, status: 'active' as const, created_at: iso(now()), archived_at: null };
      tenant.projects.set(p.id, p);
      state.audit(tenant, 'project.created', actor(req), p.id);
      return { status: 201, body: p, headers: { Location: `/v1/projects/${p.id}` } };
    },
    getProject: (req, tenant) => tenant.projects.get(req.params.project_id!) ? { status: 200, body: tenant.projects.get(req.params.project_id!) } : notFound('project', req.params.project_id!),
    updateProject: (req, tenant) => {
      const p = tenant.projects.get(req.params.project_id!);
      if (!p) return notFound('project', req.params.project_id!);
      p.name = (req.body as Json).name;
      return { status: 200, body: p };
    },
    archiveProject: (req, tenant) => {
      const p = tenant.projects.get(req.params.project_id!);
      if (!p) return notFound('project', req.params.project_id!);
      if (p.status === 'active' && list(tenant.projects).filter((q) => q.status === 'active').length === 1) {
        return { problem: 'cannot_archive_last_project', members: { detail: `${p.id} is the last active project of this tenant.`, project_id: p.id } };
      }
      if (p.status === 'active') {
        Object.assign(p, { status: 'archived', archived_at: iso(now()) });
        state.audit(tenant, 'project.archived', actor(req), p.id);
      }
      return { status: 200, body: p };
    },
    unarchiveProject: (req, tenant) => {
      const p = tenant.projects.get(req.params.project_id!);
      if (!p) return notFound('project', req.params.project_id!);
      Object.assign(p, { status: 'active', archived_at: null });
      state.audit(tenant, 'project.unarchived', actor(req), p.id);
      return { status: 200, body: p };
    },

    listApiKeys: (req, tenant) => page(req, list(tenant.keys).reverse().map(keyView)),
    createApiKey: (req, tenant) => {
      const b = req.body as Json;
      if (!tenant.projects.has(b.project_id)) return notFound('project', b.project_id);
      const secret = `tl_${b.environment === 'test' ? 'test' : 'live'}_${newId('k', 32).slice(2)}`;
      const key = state.addKey(tenant, { id: newId('key'), tenantId: tenant.id, scopes: b.scopes, projectId: b.project_id, revoked: false, name: b.name, secret, createdAt: iso(now()) });
      state.audit(tenant, 'api_key.created', actor(req), key.id);
      return { status: 201, body: { ...keyView(key), secret }, headers: { Location: `/v1/api-keys/${key.id}` } };
    },
    getApiKey: (req, tenant) => tenant.keys.get(req.params.key_id!) ? { status: 200, body: keyView(tenant.keys.get(req.params.key_id!)!) } : notFound('API key', req.params.key_id!),
    revokeApiKey: (req, tenant) => {
      const key = tenant.keys.get(req.params.key_id!);
      if (!key) return notFound('API key', req.params.key_id!);
      key.revoked = true;
      state.audit(tenant, 'api_key.revoked', actor(req), key.id);
      return { status: 204 };
    },

    getUsage: async (_req, tenant) => {
      const plan = ctx.model.plans.find((p) => p.id === tenant.plan)!;
      const meters = Object.keys(ctx.model.meters);
      let used: Record<string, number>;
      try {
        used = await ctx.store.getUsage(tenant.id, meters, now());
      } catch {
        // The usage store (Redis) is down: a transient 503, as the policy stage answers when fail-closed.
        return { problem: 'service_unavailable', members: { detail: 'Usage is briefly unavailable; retry in 1 s.', retry_after_seconds: 1 }, headers: { 'Retry-After': '1' } };
      }
      const d = new Date(now());
      const periodStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
      const resetsAt = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      const meterView = Object.fromEntries(
        meters.map((m) => {
          const limit = plan.quotas[m] ?? null;
          const u = used[m] ?? 0;
          return [m, { used: u, limit, overage: limit === null ? 0 : Math.max(0, u - limit) }];
        }),
      );
      const caps = Object.fromEntries(['eval_rules', 'projects', 'api_keys'].map((c) => [c, { count: state.capUsed(tenant.id, c), limit: plan.caps[c] ?? null }]));
      return { status: 200, body: { tenant_id: tenant.id, plan: plan.id, period_start: iso(periodStart), resets_at: iso(resetsAt), meters: meterView, caps } };
    },

    listAuditEvents: (req, tenant) => page(req, [...tenant.audit].reverse()),

    createInsight: (req, tenant) => {
      const b = req.body as Json;
      const t = tenant.traces.get(b.trace_id);
      if (!t) return notFound('trace', b.trace_id);
      const slowest = [...t.spans].sort((a: Json, c: Json) => Date.parse(c.end_time ?? c.start_time) - Date.parse(c.start_time) - (Date.parse(a.end_time ?? a.start_time) - Date.parse(a.start_time)))[0];
      const findings = t.spans.filter((s: Json) => s.status === 'error').map((s: Json) => ({ severity: 'critical', span_id: s.span_id, message: `Span ${s.name} failed.` }));
      if (slowest) findings.push({ severity: 'info', span_id: slowest.span_id, message: `Span ${slowest.name} took the longest.` });
      return {
        status: 200,
        body: { trace_id: t.id, summary: `${t.span_count} spans, ${t.total_tokens} tokens, ${t.duration_ms ?? 0} ms.`, findings: findings.slice(0, 20), model: 'traceloom-mock-insights', generated_at: iso(now()) },
      };
    },

    createAttestation: (req, tenant) => {
      const t = tenant.traces.get((req.body as Json).trace_id);
      if (!t) return notFound('trace', (req.body as Json).trace_id);
      const a: Json = { id: newId('att'), trace_id: t.id, digest: `sha256:${createHash('sha256').update(JSON.stringify(t)).digest('hex')}`, algorithm: 'ed25519', key_id: SIGNING_KEY_ID, issued_at: iso(now()) };
      a.signature = sign(null, attestationPayload(a), SIGNING_KEY).toString('base64url');
      tenant.attestations.set(a.id, a);
      return { status: 201, body: a };
    },
    getAttestation: (req, tenant) => tenant.attestations.get(req.params.attestation_id!) ? { status: 200, body: tenant.attestations.get(req.params.attestation_id!) } : notFound('attestation', req.params.attestation_id!),
    verifyAttestation: (req) => {
      const a = req.body as Json;
      if (a.key_id !== SIGNING_KEY_ID) return { status: 200, body: { valid: false, reason: 'unknown_key' } };
      const valid = verify(null, attestationPayload(a), VERIFY_KEY, Buffer.from(a.signature, 'base64url'));
      return { status: 200, body: { valid, reason: valid ? 'ok' : 'bad_signature' } };
    },
  };
}

function keyView(k: { id: string; name: string; prefix: string; scopes: string[]; projectId: string | null; createdAt: string; lastUsedMs: number | null; revoked: boolean }): Json {
  const lastUsed = k.lastUsedMs === null ? null : new Date(k.lastUsedMs).toISOString();
  return { id: k.id, name: k.name, prefix: k.prefix, scopes: k.scopes, project_id: k.projectId, created_at: k.createdAt, last_used_at: lastUsed, revoked: k.revoked };
}
