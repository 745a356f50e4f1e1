/**
 * Ingesting one OTLP export into a tenant's traces: map, merge, answer. Backends give a
 * {@link TraceStore} (the mock's per-tenant Map is one) and get the `ExportTraceServiceResponse`
 * with the usage to record, so the mock and a server-stub handler run the same rules.
 * @module
 */
import { mergeSpans, toTraces, traceRecord, type Rejection, type TraceRecord } from './map.js';

/** Where traces are kept, by id (a `Map<string, TraceRecord>` is one). */
export interface TraceStore<T = TraceRecord> {
  get(id: string): T | undefined;
  set(id: string, trace: T): unknown;
}

/** What an export did: the OTLP response body (OTLP/JSON form) and the meters it used. */
export interface ExportResult {
  body: { partialSuccess?: { rejectedSpans: string; errorMessage: string } };
  usage: { traces: number; spans: number };
  /** Ids of the traces created or changed. */
  traceIds: string[];
}

/**
 * Stores a request's spans: new traces are created, spans for a stored trace are merged into it
 * (a span id stored before is ignored, so a retried export changes nothing), and spans that cannot
 * be stored are counted in `partialSuccess` (OTLP/HTTP "Partial Success").
 */
export function exportTraces(request: unknown, store: TraceStore<any>, ctx: { projectId: string; now: number }): ExportResult {
  const { traces, rejected } = toTraces(request);
  const refusals: Rejection[] = [...rejected];
  const usage = { traces: 0, spans: 0 };
  const traceIds: string[] = [];
  for (const incoming of traces) {
    const existing = store.get(incoming.trace_id) as TraceRecord | undefined;
    const merged = mergeSpans(existing?.spans ?? [], incoming.spans);
    if (merged.refused) refusals.push(spanLimitRefusal(incoming.trace_id, merged.spans.length, merged.refused));
    if (merged.added === 0) continue;
    const base = existing ?? { project_id: ctx.projectId, created_at: new Date(ctx.now).toISOString(), metadata: incoming.metadata };
    store.set(incoming.trace_id, traceRecord(incoming.trace_id, merged.spans, base));
    if (!existing) usage.traces += 1;
    usage.spans += merged.added;
    traceIds.push(incoming.trace_id);
  }
  const body = exportResponse(refusals);
  return { body, usage, traceIds };
}

/** The refusal of spans past a trace's span limit (`held` spans stored, `refused` more sent). */
export function spanLimitRefusal(traceId: string, held: number, refused: number): Rejection {
  return { count: refused, reason: `Trace ${traceId} holds ${held} spans, its limit; ${refused} more refused.` };
}

/** The `ExportTraceServiceResponse` body (OTLP/JSON form): `partialSuccess` when spans were refused. */
export function exportResponse(refusals: readonly Rejection[]): ExportResult['body'] {
  const count = refusals.reduce((n, r) => n + r.count, 0);
  if (!count) return {};
  return {
    partialSuccess: {
      rejectedSpans: String(count),
      errorMessage: refusals
        .map((r) => r.reason)
        .join(' ')
        .slice(0, 1000),
    },
  };
}
