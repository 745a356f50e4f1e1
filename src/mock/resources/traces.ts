/**
 * Traces and spans: the three ingest routes, reads, delete. A trace id is chosen by the client, so
 * create-if-absent is one atomic store step (one 202, every repeat 409 `trace_already_exists`,
 * across instances). {@link addSpans} merges spans into an existing trace (OTLP sends a trace in
 * parts), ignoring span ids it already holds, atomically.
 * @module
 */
import type { TraceDoc } from '../store/index.js';
import { all, iso, notFound, page, type Resource, type ResourceContext, type Schemas } from './context.js';
import {
  exportResponse,
  MAX_SPANS_PER_TRACE,
  mergeSpans,
  spanLimitRefusal,
  toTraces,
  traceRecord as otlpRecord,
  type OtlpTrace,
  type Rejection,
  type TraceloomSpan,
  type TraceRecord,
} from '../../otlp/index.js';

type Span = Schemas['Span'];

/** Span count, tokens and cost of a trace, from its spans. */
function totals(spans: Span[]): Pick<TraceDoc, 'span_count' | 'total_tokens' | 'cost_usd'> {
  const tokens = spans.reduce((n, s) => n + (s.usage?.total_tokens ?? 0), 0);
  const cost = spans.reduce((n, s) => n + (s.cost_usd ?? 0), 0);
  return { span_count: spans.length, total_tokens: tokens, cost_usd: Math.round(cost * 1e8) / 1e8 };
}

/** The stored trace for an ingested one. */
export function traceRecord(input: Schemas['IngestTrace'], projectId: string, now: number): TraceDoc {
  const spans = input.spans ?? [];
  const t: TraceDoc = {
    id: input.trace_id,
    project_id: projectId,
    name: input.name,
    status: input.status ?? 'unset',
    start_time: input.start_time,
    ...totals(spans),
    tags: input.tags ?? [],
    created_at: iso(now),
    spans,
  };
  return withTimes(t, input.end_time);
}

function withTimes(t: TraceDoc, end: string | undefined): TraceDoc {
  const start = Date.parse(t.start_time);
  if (end) t.end_time = end;
  if (end && Number.isFinite(start)) t.duration_ms = Math.max(0, Date.parse(end) - start);
  return t;
}

const summaryOf = ({ spans: _s, input: _i, output: _o, metadata: _m, ...summary }: TraceDoc): Schemas['TraceSummary'] => summary;

export type IngestResult = { ok: true; spans: number } | { ok: false; code: 'trace_already_exists'; detail: string };

/** Stores a new trace; a repeated id is refused (409). */
export async function ingestOne(ctx: ResourceContext, tenantId: string, projectId: string, input: Schemas['IngestTrace']): Promise<IngestResult> {
  const doc = traceRecord(input, projectId, ctx.now());
  for (const k of ['user_id', 'session_id', 'input', 'output', 'metadata'] as const) if (input[k] !== undefined) (doc as Record<string, unknown>)[k] = input[k];
  const r = await ctx.state.insert(tenantId, 'traces', input.trace_id, doc);
  return r.ok ? { ok: true, spans: doc.spans.length } : { ok: false, code: 'trace_already_exists', detail: `Trace ${input.trace_id} was already ingested.` };
}

/**
 * Adds a trace's spans: creates the trace if new, else merges the spans whose ids it does not hold
 * yet (atomic read-modify-write on the store) and widens its time range. For OTLP ingest.
 */
export async function addSpans(
  ctx: ResourceContext,
  tenantId: string,
  projectId: string,
  input: Schemas['IngestTrace'],
): Promise<{ created: boolean; added: number; duplicates: number }> {
  const first = await ingestOne(ctx, tenantId, projectId, input);
  if (first.ok) return { created: true, added: first.spans, duplicates: 0 };
  let added = 0;
  const merged = await ctx.state.update(tenantId, 'traces', input.trace_id, (doc) => {
    const held = new Set(doc.spans.map((s) => s.span_id));
    const fresh = (input.spans ?? []).filter((s) => !held.has(s.span_id) && held.add(s.span_id));
    added = fresh.length;
    if (fresh.length === 0) return undefined;
    const spans = [...doc.spans, ...fresh];
    const start = input.start_time < doc.start_time ? input.start_time : doc.start_time;
    const end = [doc.end_time, input.end_time]
      .filter((e): e is string => !!e)
      .sort()
      .at(-1);
    return withTimes({ ...doc, ...totals(spans), spans, start_time: start }, end);
  });
  if (!merged) return addSpans(ctx, tenantId, projectId, input); // deleted meanwhile: create it again
  return { created: false, added, duplicates: (input.spans ?? []).length - added };
}

const ingestTrace: Resource = async (req, tenantId, ctx) => {
  const body = req.body as Schemas['IngestTrace'];
  const r = await ingestOne(ctx, tenantId, req.principal!.projectId!, body);
  if (!r.ok) return { problem: r.code, members: { detail: r.detail, trace_id: body.trace_id } };
  return { status: 202, body: { trace_id: body.trace_id, status: 'accepted', spans_accepted: r.spans } };
};

const ingestBatch: Resource = async (req, tenantId, ctx) => {
  const input = (req.body as Schemas['BatchIngestRequest']).traces;
  const outcomes = await Promise.all(input.map((t) => ingestOne(ctx, tenantId, req.principal!.projectId!, t)));
  let traces = 0;
  let spans = 0;
  const results = outcomes.map((r, index) => {
    const trace_id = input[index]!.trace_id;
    if (!r.ok) return { index, trace_id, status: 'rejected', code: r.code, detail: r.detail };
    traces += 1;
    spans += r.spans;
    return { index, trace_id, status: 'accepted' };
  });
  return { status: 202, body: { accepted: traces, rejected: results.length - traces, results }, usage: { traces, spans } };
};

/**
 * One OTLP trace into the store: created if new, else its new spans merged in (a span id held
 * before is ignored, so a retried export changes nothing), atomically across instances.
 */
async function storeOtlpTrace(
  ctx: ResourceContext,
  tenantId: string,
  projectId: string,
  incoming: OtlpTrace,
): Promise<{ created: boolean; added: number; refused: number }> {
  const fresh = mergeSpans([], incoming.spans);
  if (fresh.spans.length > 0) {
    const doc = otlpRecord(incoming.trace_id, fresh.spans, {
      project_id: projectId,
      created_at: iso(ctx.now()),
      ...(incoming.metadata ? { metadata: incoming.metadata } : {}),
    });
    if ((await ctx.state.insert(tenantId, 'traces', incoming.trace_id, doc as TraceDoc)).ok)
      return { created: true, added: fresh.added, refused: fresh.refused };
  }
  let added = 0;
  let refused = 0;
  const merged = await ctx.state.update(tenantId, 'traces', incoming.trace_id, (doc) => {
    const m = mergeSpans(doc.spans as TraceloomSpan[], incoming.spans);
    added = m.added;
    refused = m.refused;
    if (m.added === 0) return undefined;
    return otlpRecord(incoming.trace_id, m.spans, doc as TraceRecord) as TraceDoc;
  });
  if (!merged && fresh.spans.length > 0) return storeOtlpTrace(ctx, tenantId, projectId, incoming); // deleted meanwhile: create it again
  return { created: false, added, refused };
}

/** OTLP/HTTP export (JSON or protobuf, decoded by the pipeline): spans mapped by src/otlp, merged per trace. */
const exportOtlpTraces: Resource = async (req, tenantId, ctx) => {
  const { traces, rejected } = toTraces(req.body);
  const refusals: Rejection[] = [...rejected];
  const usage = { traces: 0, spans: 0 };
  for (const incoming of traces) {
    const r = await storeOtlpTrace(ctx, tenantId, req.principal!.projectId!, incoming);
    if (r.refused) refusals.push(spanLimitRefusal(incoming.trace_id, MAX_SPANS_PER_TRACE, r.refused));
    if (r.created) usage.traces += 1;
    usage.spans += r.added;
  }
  const body = exportResponse(refusals);
  return { status: 200, body, usage };
};

const listTraces: Resource = (req, tenantId, ctx) => {
  const from = req.query.from ? Date.parse(String(req.query.from)) : -Infinity;
  const to = req.query.to ? Date.parse(String(req.query.to)) : Infinity;
  const project = req.query.project_id;
  const filtered = project !== undefined || Number.isFinite(from) || Number.isFinite(to);
  const filter = (t: TraceDoc) => (!project || t.project_id === project) && Date.parse(t.start_time) >= from && Date.parse(t.start_time) < to;
  return page(req, tenantId, ctx, 'traces', { order: 'desc', filter: filtered ? filter : undefined, view: summaryOf });
};

const getTrace: Resource = async (req, tenantId, ctx) => {
  const t = await ctx.state.get(tenantId, 'traces', req.params.trace_id!);
  return t ? { status: 200, body: t } : notFound('trace', req.params.trace_id!);
};

const deleteTrace: Resource = async (req, tenantId, ctx) => {
  const id = req.params.trace_id!;
  if (!(await ctx.state.remove(tenantId, 'traces', id))) return notFound('trace', id);
  await deleteFeedbackOf(tenantId, ctx, id);
  return { status: 204 };
};

/** Feedback on a deleted trace goes with it. */
async function deleteFeedbackOf(tenantId: string, ctx: ResourceContext, traceId: string): Promise<void> {
  const feedback = await all(tenantId, ctx, 'feedback');
  await Promise.all(feedback.filter((f) => f.trace_id === traceId).map((f) => ctx.state.remove(tenantId, 'feedback', f.id)));
}

/** The trace handlers by operationId. */
export const traceResources: Record<string, Resource> = { ingestTrace, ingestBatch, exportOtlpTraces, listTraces, getTrace, deleteTrace };
