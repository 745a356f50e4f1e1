/**
 * OTLP ingest with the real OpenTelemetry JS exporters (issue 13): `exporter-trace-otlp-http`
 * (OTLP/JSON, with and without gzip) and `exporter-trace-otlp-proto` (protobuf, with and
 * without gzip), fed by `sdk-trace-base`, against the mock and the server stubs. Two traces, one
 * of them spread over two export calls as an application's spans end; read back through
 * `GET /v1/traces` with the GenAI fields filled. A tightly limited mock makes the exporter meet a
 * 429 and succeed on its own retry.
 */
import { context, SpanKind, SpanStatusCode, trace as otel } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Target } from '../conformance/suite.js';
import { mockTarget } from '../mock/target.js';
import { serverTarget } from '../server/reference.js';
import { createMock } from '../../src/mock/index.js';

/** Spans recorded by the real SDK: trace A (an agent root and its LLM call), trace B (one embedding call). */
function recordSpans(): { a: ReadableSpan[]; b: ReadableSpan[] } {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'support-bot' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('traceloom-otlp-test', '1.2.3');
  const root = tracer.startSpan('invoke_agent support', { kind: SpanKind.INTERNAL, attributes: { 'gen_ai.operation.name': 'invoke_agent' } });
  const llm = tracer.startSpan(
    'chat gpt-4o-mini',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 412,
        'gen_ai.usage.output_tokens': 58,
        'gen_ai.request.temperature': 0.2,
      },
    },
    otel.setSpan(context.active(), root),
  );
  llm.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': 'How do I get a refund?' });
  llm.setStatus({ code: SpanStatusCode.OK });
  llm.end();
  root.end();
  const embed = tracer.startSpan('embeddings text-embedding-3-small', {
    kind: SpanKind.CLIENT,
    attributes: { 'gen_ai.operation.name': 'embeddings', 'gen_ai.request.model': 'text-embedding-3-small', 'gen_ai.usage.input_tokens': 9 },
  });
  embed.end();
  const spans = memory.getFinishedSpans();
  return {
    a: spans.filter((s) => s.spanContext().traceId === root.spanContext().traceId),
    b: spans.filter((s) => s.spanContext().traceId === embed.spanContext().traceId),
  };
}

/** One `export()` call of a real exporter, resolved with its result. */
function exportOnce(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

interface Seen {
  contentType: string | undefined;
  contentEncoding: string | undefined;
  answerType: string | undefined;
}

/** A pass-through proxy in front of `target` that records what each export sent and got back. */
async function recordingProxy(target: string): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      seen.push({ contentType: req.headers['content-type'], contentEncoding: req.headers['content-encoding'], answerType: answer.headers['content-type'] });
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const variants = [
  {
    name: 'exporter-trace-otlp-http (JSON)',
    wire: { contentType: 'application/json', contentEncoding: undefined },
    make: (url: string, key: string) => new JsonExporter({ url, headers: { Authorization: `Bearer ${key}` } }),
  },
  {
    name: 'exporter-trace-otlp-http (JSON, gzip)',
    wire: { contentType: 'application/json', contentEncoding: 'gzip' },
    make: (url: string, key: string) => new JsonExporter({ url, headers: { Authorization: `Bearer ${key}` }, compression: CompressionAlgorithm.GZIP }),
  },
  {
    name: 'exporter-trace-otlp-proto (protobuf)',
    wire: { contentType: 'application/x-protobuf', contentEncoding: undefined },
    make: (url: string, key: string) => new ProtoExporter({ url, headers: { Authorization: `Bearer ${key}` } }),
  },
  {
    name: 'exporter-trace-otlp-proto (protobuf, gzip)',
    wire: { contentType: 'application/x-protobuf', contentEncoding: 'gzip' },
    make: (url: string, key: string) => new ProtoExporter({ url, headers: { Authorization: `Bearer ${key}` }, compression: CompressionAlgorithm.GZIP }),
  },
];

const backends: [string, () => Promise<Target>][] = [
  ['the mock', () => mockTarget()],
  ['the server stubs', () => serverTarget()],
];

describe.each(backends)('OTLP ingest from the real exporters into %s', (_name, start) => {
  let t: Target;
  beforeAll(async () => {
    t = await start();
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each(variants)('$name: exports two traces, one over two calls, and they read back merged with GenAI fields', async ({ make, wire }) => {
    await t.reset();
    const key = t.keys.pro!;
    const { a, b } = recordSpans();
    const rootA = a.find((s) => !s.parentSpanContext)!;
    const llmA = a.find((s) => s !== rootA)!;
    const proxy = await recordingProxy(t.url);
    const exporter = make(`${proxy.url}/v1/otlp/traces`, key);
    try {
      // The LLM call ends first and goes out with trace B; the agent root follows in a second call.
      expect(await exportOnce(exporter, [llmA, ...b])).toEqual({ code: ExportResultCode.SUCCESS });
      expect(await exportOnce(exporter, [rootA])).toEqual({ code: ExportResultCode.SUCCESS });
      // A retried export (same spans again) changes nothing.
      expect(await exportOnce(exporter, [llmA])).toEqual({ code: ExportResultCode.SUCCESS });
    } finally {
      await exporter.shutdown();
      await proxy.close();
    }
    // What went over the wire: the exporter's encoding, answered in the same media type.
    expect(proxy.seen).toHaveLength(3);
    for (const s of proxy.seen) expect(s).toEqual({ ...wire, answerType: wire.contentType });
    const idA = `tr_${rootA.spanContext().traceId}`;
    const idB = `tr_${b[0]!.spanContext().traceId}`;
    const list = await call(t, 'GET', '/v1/traces', { key });
    expect(list.status).toBe(200);
    expect(list.body.data.map((x: { id: string }) => x.id).sort()).toEqual([idA, idB].sort());

    const one = await call(t, 'GET', `/v1/traces/${idA}`, { key });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: idA, name: 'invoke_agent support', span_count: 2, status: 'ok' });
    const byId = Object.fromEntries(one.body.spans.map((s: { span_id: string }) => [s.span_id, s]));
    const root = byId[`sp_${rootA.spanContext().spanId}`];
    const llm = byId[`sp_${llmA.spanContext().spanId}`];
    expect(root).toMatchObject({ name: 'invoke_agent support', kind: 'agent' });
    expect(root.parent_span_id).toBeUndefined();
    expect(llm).toMatchObject({
      parent_span_id: root.span_id,
      kind: 'llm',
      model: 'gpt-4o-mini',
      provider: 'openai',
      status: 'ok',
      usage: { prompt_tokens: 412, completion_tokens: 58, total_tokens: 470 },
      start_time: new Date(llmA.startTime[0] * 1000 + Math.floor(llmA.startTime[1] / 1e6)).toISOString(),
    });
    expect(llm.attributes).toMatchObject({ 'gen_ai.request.temperature': '0.2', 'otel.scope.name': 'traceloom-otlp-test', 'otel.scope.version': '1.2.3' });

    const two = await call(t, 'GET', `/v1/traces/${idB}`, { key });
    expect(two.body).toMatchObject({
      span_count: 1,
      spans: [{ kind: 'embedding', model: 'text-embedding-3-small', usage: { prompt_tokens: 9, total_tokens: 9 } }],
    });
  });

  it('refuses the exporter of an archived project with 403, and it reports the export failed', async () => {
    await t.reset();
    const { b } = recordSpans();
    const exporter = new ProtoExporter({ url: `${t.url}/v1/otlp/traces`, headers: { Authorization: `Bearer ${t.keys.archived}` } });
    try {
      const result = await exportOnce(exporter, b);
      expect(result.code).toBe(ExportResultCode.FAILED);
      expect((result.error as Error & { code?: number }).code).toBe(403);
    } finally {
      await exporter.shutdown();
    }
  });
});

describe('OTLP ingest under a tight rate limit', () => {
  it('the exporter meets a 429 with Retry-After and succeeds on its own retry', async () => {
    // One request per second for every plan: the second export in a row is refused for ≤ 1 s.
    const mock = await createMock({ port: 0, log: false, env: {}, policies: ['default=1/1s'] });
    const answers: { status: number; retryAfter: string | undefined }[] = [];
    mock.server.on('request', (req, res) => {
      if (req.url !== '/v1/otlp/traces') return;
      // The pipeline writes every header in one writeHead call; record what it sends.
      const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => typeof res;
      res.writeHead = ((status: number, ...rest: unknown[]) => {
        const headers = rest.find((x) => x !== null && typeof x === 'object') as Record<string, string> | undefined;
        answers.push({ status, retryAfter: headers?.['Retry-After'] });
        return writeHead(status, ...rest);
      }) as typeof res.writeHead;
    });
    const key = mock.fixtures.tenants.find((x) => x.plan === 'pro')!.keys.find((k) => k.scopes.length === 4)!.key;
    // The exporter's own deadline is generous: on a loaded machine a retry may meet a second 429.
    const exporter = new ProtoExporter({ url: `${mock.url}/v1/otlp/traces`, headers: { Authorization: `Bearer ${key}` }, timeoutMillis: 30_000 });
    try {
      const { a, b } = recordSpans();
      expect(await exportOnce(exporter, a)).toEqual({ code: ExportResultCode.SUCCESS });
      expect(await exportOnce(exporter, b)).toEqual({ code: ExportResultCode.SUCCESS });
      const refused = answers.filter((x) => x.status === 429);
      expect(refused.length).toBeGreaterThanOrEqual(1);
      for (const r of refused) expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(answers.filter((x) => x.status === 200)).toHaveLength(2);
      // Both exports are stored (from the control API, which no rate limit applies to).
      const state = (await (await fetch(`${mock.url}/__mock/state`)).json()) as { tenants: { plan: string; usage: { traces: number; spans: number } }[] };
      expect(state.tenants.find((x) => x.plan === 'pro')!.usage).toMatchObject({ traces: 2, spans: 3 });
    } finally {
      await exporter.shutdown();
      await mock.close();
    }
  }, 60_000);
});
