/**
 * OTLP/HTTP JSON (`exportOtlpTraces`) into ingest traces, one per OTLP trace id.
 * @module
 */
import type { Schemas } from './context.js';

type Span = Schemas['Span'];
const KINDS: Span['kind'][] = ['other', 'other', 'chain', 'llm', 'tool', 'other'];

const nanoIso = (ns: string | undefined) => (ns ? new Date(Number(BigInt(ns) / 1_000_000n)).toISOString() : undefined);

/** One span from an OTLP span: ids prefixed (`sp_`), attributes flattened to strings (64 at most). */
function spanOf(s: Schemas['OtlpSpan']): Span {
  const attrs: Record<string, string> = {};
  for (const a of s.attributes ?? []) {
    const v = (a.value ?? {}) as Record<string, unknown>;
    attrs[a.key] = String(v.stringValue ?? v.intValue ?? v.doubleValue ?? v.boolValue ?? '').slice(0, 2048);
  }
  const span: Span = { span_id: `sp_${s.spanId}`, name: s.name, kind: KINDS[s.kind ?? 0] ?? 'other', start_time: nanoIso(s.startTimeUnixNano)! };
  if (s.parentSpanId) span.parent_span_id = `sp_${s.parentSpanId}`;
  if (s.endTimeUnixNano) span.end_time = nanoIso(s.endTimeUnixNano);
  span.status = s.status?.code === 2 ? 'error' : s.status?.code === 1 ? 'ok' : 'unset';
  if (attrs['llm.model_name']) span.model = attrs['llm.model_name'];
  if (Object.keys(attrs).length) span.attributes = Object.fromEntries(Object.entries(attrs).slice(0, 64));
  return span;
}

/** The traces of an export request by trace id (`tr_<otlp trace id>`). */
export function otlpTraces(body: Schemas['OtlpExportRequest']): Map<string, Schemas['IngestTrace']> {
  const traces = new Map<string, Schemas['IngestTrace']>();
  for (const rs of body.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const id = `tr_${s.traceId}`;
        const span = spanOf(s);
        const trace = traces.get(id) ?? { trace_id: id, name: s.name, start_time: span.start_time, spans: [] };
        if (!s.parentSpanId) trace.name = s.name;
        if (span.start_time < trace.start_time) trace.start_time = span.start_time;
        if (span.end_time && (!trace.end_time || span.end_time > trace.end_time)) trace.end_time = span.end_time;
        trace.spans.push(span);
        traces.set(id, trace);
      }
    }
  }
  return traces;
}
