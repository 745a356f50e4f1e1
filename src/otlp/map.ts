/**
 * OTLP spans → Traceloom traces, as pure functions: {@link toTraces} maps a request (OTLP/JSON
 * form) to traces grouped by trace id, {@link mergeSpans} adds a request's spans to what a trace
 * already holds (a span id stored before is ignored), {@link traceRecord} derives the stored
 * trace (name, times, status, counts) from its spans. GenAI semantic conventions
 * (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/) fill the span fields that
 * Traceloom has for them.
 * @module
 */

/** A Traceloom span (the contract's `Span`). */
export interface TraceloomSpan {
  span_id: string;
  parent_span_id?: string;
  name: string;
  kind: 'llm' | 'tool' | 'retrieval' | 'embedding' | 'chain' | 'agent' | 'other';
  start_time: string;
  end_time?: string;
  status: 'ok' | 'error' | 'unset';
  model?: string;
  provider?: string;
  input?: string;
  output?: string;
  usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number };
  attributes?: Record<string, string>;
}

/** The spans of one trace found in a request, with the resource attributes of its first span. */
export interface OtlpTrace {
  trace_id: string;
  spans: TraceloomSpan[];
  metadata?: Record<string, string>;
}

/** A span the request carried that cannot be stored, and why. */
export interface Rejection {
  count: number;
  reason: string;
}

/** A stored Traceloom trace (the contract's `Trace`). */
export interface TraceRecord {
  id: string;
  project_id: string;
  name: string;
  status: 'ok' | 'error' | 'unset';
  start_time: string;
  end_time?: string;
  duration_ms?: number;
  span_count: number;
  total_tokens: number;
  cost_usd: number;
  tags: string[];
  created_at: string;
  metadata?: Record<string, string>;
  spans: TraceloomSpan[];
}

/** Most spans a trace holds (the contract's `Trace.spans` maxItems). */
export const MAX_SPANS_PER_TRACE = 1000;

const MAX_ATTRIBUTES = 64;
const MAX_VALUE = 2048;
const MAX_TEXT = 100_000;
const MAX_TOKENS = 100_000_000;
const ATTRIBUTE_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;
const MODEL = /^[A-Za-z0-9_./:-]{1,128}$/;
const CONTROL = /[\x00-\x08\x0B\x0C\x0E-\x1F]/g;
const ZERO = /^0+$/;

type Json = Record<string, any>;

/** An OTLP AnyValue as a plain value: strings, numbers, booleans, arrays, objects. */
export function plainValue(value: Json | undefined): unknown {
  if (!value || typeof value !== 'object') return undefined;
  if ('stringValue' in value) return String(value.stringValue);
  if ('boolValue' in value) return Boolean(value.boolValue);
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return Number(value.doubleValue);
  if ('bytesValue' in value) return String(value.bytesValue);
  if ('arrayValue' in value) return ((value.arrayValue?.values ?? []) as Json[]).map(plainValue);
  if ('kvlistValue' in value) return Object.fromEntries(((value.kvlistValue?.values ?? []) as Json[]).map((kv) => [String(kv.key), plainValue(kv.value)]));
  return undefined;
}

/** OTLP attributes as a map of plain values (the first of a repeated key wins). */
function attributeMap(list: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!Array.isArray(list)) return out;
  for (const kv of list as Json[]) if (typeof kv?.key === 'string' && !out.has(kv.key)) out.set(kv.key, plainValue(kv.value));
  return out;
}

/** Traceloom's free-form attributes: string values, at most 64 keys of its key syntax. */
function toAttributes(entries: Iterable<[string, unknown]>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [key, value] of entries) {
    if (n >= MAX_ATTRIBUTES) break;
    if (!ATTRIBUTE_KEY.test(key) || value === undefined || value === null) continue;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    // defineProperty: a key such as `__proto__` is stored as data, never as a prototype.
    Object.defineProperty(out, key, { value: text.replace(CONTROL, '').slice(0, MAX_VALUE), enumerable: true, writable: true, configurable: true });
    n += 1;
  }
  return n ? out : undefined;
}

/** Nanoseconds since the epoch (decimal string or number) as an RFC 3339 time in UTC. */
export function nanosToIso(nanos: unknown): string {
  let ms = 0;
  if (typeof nanos === 'string' && /^\d{1,20}$/.test(nanos)) ms = Number(BigInt(nanos) / 1_000_000n);
  else if (typeof nanos === 'number' && Number.isFinite(nanos) && nanos > 0) ms = Math.floor(nanos / 1_000_000);
  return new Date(ms).toISOString();
}

const text = (v: unknown) =>
  typeof v === 'string' ? v.replace(CONTROL, '').slice(0, MAX_TEXT) : v === undefined ? undefined : JSON.stringify(v).slice(0, MAX_TEXT);
const tokens = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? Math.min(v, MAX_TOKENS) : undefined);
const firstOf = (attrs: Map<string, unknown>, keys: string[]) => keys.map((k) => attrs.get(k)).find((v) => v !== undefined && v !== '');

/** `gen_ai.operation.name` → Traceloom span kind. */
const KIND_BY_OPERATION: Record<string, TraceloomSpan['kind']> = {
  chat: 'llm',
  text_completion: 'llm',
  generate_content: 'llm',
  embeddings: 'embedding',
  execute_tool: 'tool',
  invoke_agent: 'agent',
  create_agent: 'agent',
  retrieval: 'retrieval',
};

/** One OTLP span (OTLP/JSON form) as a Traceloom span. */
export function toSpan(span: Json, scope?: Json): TraceloomSpan {
  const attrs = attributeMap(span.attributes);
  const model = firstOf(attrs, ['gen_ai.response.model', 'gen_ai.request.model']);
  const provider = firstOf(attrs, ['gen_ai.provider.name', 'gen_ai.system']);
  const operation = attrs.get('gen_ai.operation.name');
  const input = tokens(firstOf(attrs, ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens']));
  const output = tokens(firstOf(attrs, ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens']));
  const out: TraceloomSpan = {
    span_id: `sp_${String(span.spanId).toLowerCase()}`,
    name: typeof span.name === 'string' && span.name ? span.name : 'unnamed',
    kind: (typeof operation === 'string' && KIND_BY_OPERATION[operation]) || (model !== undefined ? 'llm' : 'other'),
    start_time: nanosToIso(span.startTimeUnixNano),
    status: span.status?.code === 2 ? 'error' : span.status?.code === 1 ? 'ok' : 'unset',
  };
  if (typeof span.parentSpanId === 'string' && span.parentSpanId && !ZERO.test(span.parentSpanId)) out.parent_span_id = `sp_${span.parentSpanId.toLowerCase()}`;
  if (span.endTimeUnixNano !== undefined) out.end_time = nanosToIso(span.endTimeUnixNano);
  if (typeof model === 'string' && MODEL.test(model)) out.model = model;
  if (typeof provider === 'string') {
    const p = provider
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '_')
      .slice(0, 64);
    if (p) out.provider = p;
  }
  const prompt = text(firstOf(attrs, ['gen_ai.input.messages', 'gen_ai.prompt']));
  const completion = text(firstOf(attrs, ['gen_ai.output.messages', 'gen_ai.completion']));
  if (prompt !== undefined) out.input = prompt;
  if (completion !== undefined) out.output = completion;
  if (input !== undefined || output !== undefined) {
    out.usage = {};
    if (input !== undefined) out.usage.prompt_tokens = input;
    if (output !== undefined) out.usage.completion_tokens = output;
    out.usage.total_tokens = (input ?? 0) + (output ?? 0);
  }
  const extra: [string, unknown][] = [];
  if (typeof scope?.name === 'string' && scope.name) extra.push(['otel.scope.name', scope.name]);
  if (typeof scope?.version === 'string' && scope.version) extra.push(['otel.scope.version', scope.version]);
  if (typeof span.status?.message === 'string' && span.status.message) extra.push(['otel.status_description', span.status.message]);
  const attributes = toAttributes([...attrs.entries(), ...extra]);
  if (attributes) out.attributes = attributes;
  return out;
}

/** Groups a request's spans by trace, in order of first appearance; spans with an all-zero id are refused. */
export function toTraces(request: unknown): { traces: OtlpTrace[]; rejected: Rejection[] } {
  const traces = new Map<string, OtlpTrace>();
  let invalid = 0;
  for (const rs of ((request as Json | null)?.resourceSpans ?? []) as Json[]) {
    const resource = toAttributes(attributeMap(rs?.resource?.attributes).entries());
    for (const ss of (rs?.scopeSpans ?? []) as Json[]) {
      for (const span of (ss?.spans ?? []) as Json[]) {
        if (typeof span?.traceId !== 'string' || typeof span.spanId !== 'string' || ZERO.test(span.traceId) || ZERO.test(span.spanId)) {
          invalid += 1;
          continue;
        }
        const id = `tr_${span.traceId.toLowerCase()}`;
        let trace = traces.get(id);
        if (!trace) {
          trace = { trace_id: id, spans: [] };
          if (resource) trace.metadata = resource;
          traces.set(id, trace);
        }
        trace.spans.push(toSpan(span, ss.scope));
      }
    }
  }
  const rejected = invalid
    ? [{ count: invalid, reason: `${invalid} span${invalid === 1 ? ' has' : 's have'} an all-zero trace or span id, which OTLP defines as invalid.` }]
    : [];
  return { traces: [...traces.values()], rejected };
}

/**
 * Adds `incoming` spans to a trace's `existing` ones: a span id already there (or repeated in
 * `incoming`) is ignored, as a retried export must change nothing; spans past `max` are refused.
 */
export function mergeSpans(
  existing: readonly TraceloomSpan[],
  incoming: readonly TraceloomSpan[],
  max = MAX_SPANS_PER_TRACE,
): { spans: TraceloomSpan[]; added: number; duplicates: number; refused: number } {
  const seen = new Set(existing.map((s) => s.span_id));
  const spans = [...existing];
  let duplicates = 0;
  let refused = 0;
  for (const span of incoming) {
    if (seen.has(span.span_id)) duplicates += 1;
    else if (spans.length >= max) refused += 1;
    else {
      seen.add(span.span_id);
      spans.push(span);
    }
  }
  return { spans, added: spans.length - existing.length, duplicates, refused };
}

/** The stored trace for `spans`: name from the root span, times spanning them all, error if any span failed. */
export function traceRecord(
  id: string,
  spans: TraceloomSpan[],
  base: { project_id: string; created_at: string; metadata?: Record<string, string> },
): TraceRecord {
  const ids = new Set(spans.map((s) => s.span_id));
  const root = spans.find((s) => !s.parent_span_id) ?? spans.find((s) => !ids.has(s.parent_span_id!)) ?? spans[0]!;
  const start = spans.reduce((min, s) => (s.start_time < min ? s.start_time : min), spans[0]!.start_time);
  const ends = spans.map((s) => s.end_time).filter((e): e is string => e !== undefined);
  const end = ends.length ? ends.reduce((max, e) => (e > max ? e : max)) : undefined;
  // Error if any span failed; else the root's status; else ok once any span says so.
  const status = spans.some((s) => s.status === 'error')
    ? 'error'
    : root.status !== 'unset'
      ? root.status
      : spans.some((s) => s.status === 'ok')
        ? 'ok'
        : 'unset';
  const record: TraceRecord = {
    id,
    project_id: base.project_id,
    name: root.name,
    status,
    start_time: start,
    span_count: spans.length,
    total_tokens: spans.reduce((n, s) => n + (s.usage?.total_tokens ?? 0), 0),
    cost_usd: 0,
    tags: [],
    created_at: base.created_at,
    spans,
  };
  if (end !== undefined) {
    record.end_time = end;
    record.duration_ms = Math.max(0, Date.parse(end) - Date.parse(start));
  }
  if (base.metadata) record.metadata = base.metadata;
  return record;
}
