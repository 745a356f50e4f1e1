/**
 * The OTLP stage's pure functions: AnyValue kinds, times, GenAI attributes → span fields,
 * grouping by trace, merging with what is stored, partial success, and the protobuf codec.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeTraceRequest,
  decodeTraceResponse,
  encodeTraceResponse,
  exportTraces,
  mergeSpans,
  nanosToIso,
  plainValue,
  toSpan,
  toTraces,
  type TraceloomSpan,
} from '../../src/otlp/index.js';
import { traceMessages } from '../../src/otlp/proto.js';

const TRACE = '5b8efff798038103d269b633813fc60c';
const span = (spanId: string, extra: Record<string, unknown> = {}) => ({
  traceId: TRACE,
  spanId,
  name: 'op',
  startTimeUnixNano: '1772539200120000000',
  ...extra,
});
const request = (...spans: unknown[]) => ({ resourceSpans: [{ scopeSpans: [{ spans }] }] });

describe('plainValue reads every OTLP AnyValue kind', () => {
  it.each([
    { given: { stringValue: 'a' }, want: 'a' },
    { given: { boolValue: false }, want: false },
    { given: { intValue: '470' }, want: 470 },
    { given: { intValue: 470 }, want: 470 },
    { given: { doubleValue: 0.25 }, want: 0.25 },
    { given: { doubleValue: 'NaN' }, want: NaN },
    { given: { bytesValue: 'AQI=' }, want: 'AQI=' },
    { given: { arrayValue: { values: [{ intValue: '1' }, { arrayValue: { values: [{ stringValue: 'x' }] } }] } }, want: [1, ['x']] },
    { given: { kvlistValue: { values: [{ key: 'k', value: { boolValue: true } }] } }, want: { k: true } },
    { given: {}, want: undefined },
  ])('$given → $want', ({ given, want }) => {
    expect(plainValue(given)).toEqual(want);
  });
});

describe('nanosToIso converts OTLP times (fixed64 as string or number) to RFC 3339', () => {
  it.each([
    { given: '1772539200120000000', want: '2026-03-03T12:00:00.120Z' },
    { given: 1772539200120000000, want: '2026-03-03T12:00:00.120Z' },
    { given: '0', want: '1970-01-01T00:00:00.000Z' },
    { given: undefined, want: '1970-01-01T00:00:00.000Z' },
  ])('$given → $want', ({ given, want }) => {
    expect(nanosToIso(given)).toBe(want);
  });
});

describe('toSpan fills Traceloom span fields from GenAI semantic conventions', () => {
  const attrs = (entries: Record<string, unknown>) =>
    Object.entries(entries).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } }));
  it.each<{ given: Record<string, unknown>; want: Partial<TraceloomSpan> }>([
    {
      given: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 412,
        'gen_ai.usage.output_tokens': 58,
      },
      want: { kind: 'llm', provider: 'openai', model: 'gpt-4o-mini', usage: { prompt_tokens: 412, completion_tokens: 58, total_tokens: 470 } },
    },
    { given: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.response.model': 'gpt-4o-2024-08-06' }, want: { kind: 'llm', model: 'gpt-4o-2024-08-06' } },
    {
      given: { 'gen_ai.system': 'az.ai.inference', 'gen_ai.usage.prompt_tokens': 7, 'gen_ai.usage.completion_tokens': 3 },
      want: { provider: 'az_ai_inference', usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } },
    },
    { given: { 'gen_ai.operation.name': 'execute_tool' }, want: { kind: 'tool' } },
    { given: { 'gen_ai.operation.name': 'embeddings' }, want: { kind: 'embedding' } },
    { given: { 'gen_ai.prompt': 'hi', 'gen_ai.completion': 'hello' }, want: { kind: 'other', input: 'hi', output: 'hello' } },
    { given: { 'gen_ai.request.model': 'has spaces not allowed' }, want: { kind: 'llm', model: undefined } },
  ])('$given', ({ given, want }) => {
    const s = toSpan(span('eee19b7ec3c1b174', { attributes: attrs(given) }));
    for (const [k, v] of Object.entries(want)) expect(s[k as keyof TraceloomSpan], k).toEqual(v);
  });

  it('keeps ids in lowercase with their prefixes, the parent, the status and other attributes as strings', () => {
    const s = toSpan(
      span('EEE19B7EC3C1B174', {
        parentSpanId: 'AAAAAAAAAAAAAAAA',
        status: { code: 2, message: 'boom' },
        attributes: [
          { key: 'retries', value: { intValue: 2 } },
          { key: 'bad key!', value: { stringValue: 'x' } },
        ],
      }),
      { name: 'lib', version: '1' },
    );
    expect(s).toMatchObject({
      span_id: 'sp_eee19b7ec3c1b174',
      parent_span_id: 'sp_aaaaaaaaaaaaaaaa',
      status: 'error',
      attributes: { retries: '2', 'otel.scope.name': 'lib', 'otel.scope.version': '1', 'otel.status_description': 'boom' },
    });
    expect(s.attributes).not.toHaveProperty('bad key!');
  });
});

describe('toTraces and mergeSpans', () => {
  it('groups spans by trace in order of first appearance and refuses all-zero ids', () => {
    const other = '0af7651916cd43dd8448eb211c80319c';
    const { traces, rejected } = toTraces(
      request(span('0000000000000001'), span('0000000000000002', { traceId: other }), span('0000000000000003'), span('0000000000000000')),
    );
    expect(traces.map((t) => [t.trace_id, t.spans.length])).toEqual([
      [`tr_${TRACE}`, 2],
      [`tr_${other}`, 1],
    ]);
    expect(rejected).toEqual([{ count: 1, reason: expect.stringContaining('all-zero') }]);
  });

  it('ignores a span id already stored or repeated, and refuses spans past the cap', () => {
    const s = (id: string) => toSpan(span(id));
    const merged = mergeSpans([s('0000000000000001')], [s('0000000000000001'), s('0000000000000002'), s('0000000000000002'), s('0000000000000003')], 2);
    expect(merged.spans.map((x) => x.span_id)).toEqual(['sp_0000000000000001', 'sp_0000000000000002']);
    expect([merged.added, merged.duplicates, merged.refused]).toEqual([1, 2, 1]);
  });

  it('exportTraces counts new traces and new spans only, and reports refused spans as partial success', () => {
    const store = new Map();
    const one = exportTraces(request(span('0000000000000001')), store, { projectId: 'prj_test01', now: 0 });
    expect(one).toEqual({ body: {}, usage: { traces: 1, spans: 1 }, traceIds: [`tr_${TRACE}`] });
    const again = exportTraces(request(span('0000000000000001'), span('0000000000000002'), span('0000000000000000')), store, {
      projectId: 'prj_test01',
      now: 0,
    });
    expect(again.usage).toEqual({ traces: 0, spans: 1 });
    expect(again.body.partialSuccess).toMatchObject({ rejectedSpans: '1' });
    expect(store.get(`tr_${TRACE}`)).toMatchObject({ span_count: 2, project_id: 'prj_test01', created_at: '1970-01-01T00:00:00.000Z' });
  });
});

describe('protobuf codec (official opentelemetry-proto definitions)', () => {
  it('decodes an ExportTraceServiceRequest into the OTLP/JSON form: hex ids, 64-bit integers as strings, enums as integers', () => {
    const { request: type } = traceMessages();
    const raw = type
      .encode(
        type.fromObject({
          resourceSpans: [
            {
              scopeSpans: [
                {
                  spans: [
                    {
                      traceId: Buffer.from(TRACE, 'hex'),
                      spanId: Buffer.from('eee19b7ec3c1b174', 'hex'),
                      name: 'x',
                      kind: 3,
                      startTimeUnixNano: '1772539200120000000',
                      flags: 257,
                      attributes: [{ key: 'n', value: { intValue: '9007199254740993' } }],
                    },
                  ],
                },
              ],
            },
          ],
        }),
      )
      .finish();
    const decoded = decodeTraceRequest(raw);
    expect(decoded).toEqual({
      ok: true,
      value: {
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: TRACE,
                    spanId: 'eee19b7ec3c1b174',
                    name: 'x',
                    kind: 3,
                    startTimeUnixNano: '1772539200120000000',
                    flags: 257,
                    attributes: [{ key: 'n', value: { intValue: '9007199254740993' } }],
                  },
                ],
              },
            ],
          },
        ],
      },
    });
  });

  it('encodes the response: empty on full success, partialSuccess round-trips', () => {
    expect(encodeTraceResponse({})).toHaveLength(0);
    const body = { partialSuccess: { rejectedSpans: '3', errorMessage: 'too many' } };
    expect(decodeTraceResponse(encodeTraceResponse(body))).toEqual(body);
  });
});
