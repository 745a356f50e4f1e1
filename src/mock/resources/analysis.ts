/**
 * Read-only analysis of stored traces: metrics buckets and insights.
 * @module
 */
import type { TraceDoc } from '../store/index.js';
import { all, iso, notFound, type Resource, type Schemas } from './context.js';

const STEP = { minute: 60_000, hour: 3600_000, day: 86400_000 } as const;

function point(t: number, traces: TraceDoc[]) {
  const durations = traces.map((tr) => tr.duration_ms ?? 0).sort((a, b) => a - b);
  const pct = (p: number) => durations[Math.min(durations.length - 1, Math.floor(p * durations.length))]!;
  return {
    timestamp: iso(t),
    trace_count: traces.length,
    span_count: traces.reduce((n, tr) => n + tr.span_count, 0),
    error_count: traces.filter((tr) => tr.status === 'error').length,
    latency_ms: { p50: pct(0.5), p90: pct(0.9), p99: pct(0.99) },
    tokens: { total_tokens: traces.reduce((n, tr) => n + (tr.total_tokens ?? 0), 0) },
    cost_usd: Math.round(traces.reduce((n, tr) => n + (tr.cost_usd ?? 0), 0) * 1e6) / 1e6,
  };
}

const getMetrics: Resource = async (req, tenantId, ctx) => {
  const to = req.query.to ? Date.parse(String(req.query.to)) : Math.ceil(ctx.now() / 3600_000) * 3600_000;
  const from = req.query.from ? Date.parse(String(req.query.from)) : to - 24 * 3600_000;
  if (!(from < to)) return { problem: 'invalid_request', members: { detail: '`from` must be before `to`.' } };
  const interval = to - from <= 6 * 3600_000 ? 'minute' : to - from <= 60 * 86400_000 ? 'hour' : 'day';
  const step = STEP[interval];
  // One pass over the traces into buckets; the buckets start before `to`, the last may end after it.
  const first = Math.floor(from / step) * step;
  const end = first + Math.ceil((to - first) / step) * step;
  const buckets = new Map<number, TraceDoc[]>();
  for (const tr of await all(tenantId, ctx, 'traces')) {
    const s = Date.parse(tr.start_time);
    if (!(s >= first && s < end) || (req.query.project_id && tr.project_id !== req.query.project_id)) continue;
    const t = first + Math.floor((s - first) / step) * step;
    const bucket = buckets.get(t);
    if (bucket) bucket.push(tr);
    else buckets.set(t, [tr]);
  }
  const points = [...buckets.keys()]
    .sort((a, b) => a - b)
    .slice(0, 1440)
    .map((t) => point(t, buckets.get(t)!));
  return { status: 200, body: { interval, from: iso(from), to: iso(to), points } };
};

const spanMs = (s: Schemas['Span']) => Date.parse(s.end_time ?? s.start_time) - Date.parse(s.start_time);

const createInsight: Resource = async (req, tenantId, ctx) => {
  const traceId = (req.body as Schemas['InsightRequest']).trace_id;
  const t = await ctx.state.get(tenantId, 'traces', traceId);
  if (!t) return notFound('trace', traceId);
  const slowest = [...t.spans].sort((a, c) => spanMs(c) - spanMs(a))[0];
  const findings = t.spans.filter((s) => s.status === 'error').map((s) => ({ severity: 'critical', span_id: s.span_id, message: `Span ${s.name} failed.` }));
  if (slowest) findings.push({ severity: 'info', span_id: slowest.span_id, message: `Span ${slowest.name} took the longest.` });
  return {
    status: 200,
    body: {
      trace_id: t.id,
      summary: `${t.span_count} spans, ${t.total_tokens} tokens, ${t.duration_ms ?? 0} ms.`,
      findings: findings.slice(0, 20),
      model: 'traceloom-mock-insights',
      generated_at: iso(ctx.now()),
    },
  };
};

/** The analysis handlers by operationId. */
export const analysisResources: Record<string, Resource> = { getMetrics, createInsight };
