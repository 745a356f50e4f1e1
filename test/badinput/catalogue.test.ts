/**
 * The bad-input catalogue (issue 7): what hostile or broken clients send, each with the problem
 * the mock must answer. Every case also checks that nothing changed (traces, usage, keys,
 * projects of every tenant, from `GET /__mock/state`), that the process still serves, and that
 * `Object.prototype` was not polluted (the mock runs in this process, so that is observable).
 *
 * Requests go through a raw socket where a normal client would repair them (`..` segments,
 * invalid UTF-8, oversized headers, bodies cut short or streamed past the limit).
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, repoRoot } from '../../src/contract/index.js';
import { traceMessages } from '../../src/otlp/proto.js';
import { createMock, type MockServer } from '../../src/mock/index.js';
import { trace } from '../conformance/suite.js';
import { rawRequest, type RawReply } from './raw.js';

const SECRET = 'a-secret-next-to-the-docs-dir';
const model = await loadModel();
let mock: MockServer;
let base: string;
let keys: { pro: string; revoked: string; enterprise: string };
let jwtSecret: Uint8Array;
let tenantId: string;

beforeAll(async () => {
  // The docs directory sits next to files that must never leak through it.
  base = await mkdtemp(join(tmpdir(), 'traceloom-badinput-'));
  await mkdir(join(base, 'docs'));
  await writeFile(join(base, 'docs', 'index.html'), '<!DOCTYPE html><title>docs</title>');
  // The docs server renders its problems from the bundled contract it serves.
  await copyFile(join(repoRoot, 'generated', 'openapi.json'), join(base, 'docs', 'openapi.json'));
  await writeFile(join(base, 'package.json'), SECRET);
  await writeFile(join(base, 'secret.txt'), SECRET);
  mock = await createMock({ port: 0, log: false, env: {}, docsDir: join(base, 'docs') });
  const all = mock.fixtures.tenants.flatMap((t) => t.keys.map((k) => ({ ...k, plan: t.plan })));
  keys = {
    pro: all.find((k) => k.plan === 'pro' && k.scopes.length === 4)!.key,
    enterprise: all.find((k) => k.plan === 'enterprise' && k.scopes.length === 4)!.key,
    revoked: all.find((k) => k.revoked)!.key,
  };
  jwtSecret = new TextEncoder().encode(mock.fixtures.jwtSecret);
  tenantId = mock.fixtures.tenants.find((t) => t.plan === 'pro')!.id;
});
afterAll(async () => {
  await mock?.close();
  await rm(base, { recursive: true, force: true });
});

/** What a request may change: per tenant, its traces, usage, keys and projects. */
async function domainState(): Promise<unknown> {
  const state = (await (await fetch(`${mock.url}/__mock/state`)).json()) as { tenants: any[] };
  return state.tenants.map((t) => ({
    id: t.id,
    plan: t.plan,
    traces: t.traces,
    usage: t.usage,
    keys: t.keys.map((k: any) => [k.id, k.revoked]),
    projects: t.projects,
  }));
}

type Send = () => Promise<RawReply>;

/** A request through the raw client: method, target, headers, body. */
function req(
  method: string,
  target: string | Buffer,
  headers: Record<string, string | Buffer> = {},
  body?: string | Buffer,
  options: { end?: boolean } = {},
): Send {
  return () => {
    const lines: Buffer[] = [
      Buffer.concat([Buffer.from(`${method} `), Buffer.isBuffer(target) ? target : Buffer.from(target, 'latin1'), Buffer.from(' HTTP/1.1')]),
    ];
    const all: Record<string, string | Buffer> = { Host: '127.0.0.1', Connection: 'close', ...headers };
    if (body !== undefined && !('Content-Length' in all) && !('Transfer-Encoding' in all)) all['Content-Length'] = String(Buffer.byteLength(body));
    for (const [k, v] of Object.entries(all)) lines.push(Buffer.concat([Buffer.from(`${k}: `), Buffer.isBuffer(v) ? v : Buffer.from(v, 'latin1')]));
    return rawRequest(mock.port, {
      head: Buffer.concat(lines.flatMap((l, i) => (i ? [Buffer.from('\r\n'), l] : [l]))),
      chunks: body === undefined ? [] : [body],
      end: options.end,
    });
  };
}
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const json = (key = keys.pro) => ({ ...bearer(key), 'Content-Type': 'application/json' });
const validTrace = () => JSON.stringify(trace(1));

interface Case {
  given: string;
  send: Send;
  want: { status: number; code: string } & Record<string, unknown>;
  /** The docs server's problems carry no request id (see the issue 7 report). */
}

/** Runs one refusal: the problem, no state change, still serving, no pollution. */
async function expectRefused(c: Case): Promise<RawReply> {
  const before = await domainState();
  const r = await c.send();
  expect({ status: r.status, code: r.body?.code }, r.text.slice(0, 300)).toEqual({ status: c.want.status, code: c.want.code });
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(r.body).toMatchObject({ ...c.want, type: `${mock.model.docsBaseUrl}/errors#${c.want.code}` });
  expect(r.body.request_id).toBe(r.headers['x-request-id']);
  expect(r.text).not.toContain(SECRET);
  expect(await domainState()).toEqual(before);
  expect((await fetch(`${mock.url}/v1/health`)).status).toBe(200);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  return r;
}

const run = (cases: (() => Case[]) | Case[]) => (typeof cases === 'function' ? cases() : cases);

describe('bad-input catalogue', () => {
  describe('malformed and truncated JSON', () => {
    it.each<Case>([
      { given: 'an unterminated object', send: () => req('POST', '/v1/ingest', json(), '{"trace_id": ')(), want: { status: 400, code: 'malformed_json' } },
      {
        given: 'a trace cut in half',
        send: () => req('POST', '/v1/ingest', json(), validTrace().slice(0, 60))(),
        want: { status: 400, code: 'malformed_json' },
      },
      {
        given: 'trailing garbage after the object',
        send: () => req('POST', '/v1/ingest', json(), `${validTrace()} }`)(),
        want: { status: 400, code: 'malformed_json' },
      },
      { given: 'an empty body declared as JSON', send: () => req('POST', '/v1/ingest', json(), '')(), want: { status: 400, code: 'malformed_json' } },
      { given: 'NaN and single quotes', send: () => req('POST', '/v1/ingest', json(), "{'trace_id': NaN}")(), want: { status: 400, code: 'malformed_json' } },
      {
        given: 'a body cut short on the wire (Content-Length 100, 20 bytes, then FIN)',
        send: () => req('POST', '/v1/ingest', { ...json(), 'Content-Length': '100' }, '{"trace_id":"tr_abc', { end: true })(),
        want: { status: 400, code: 'invalid_request' },
      },
    ])('refuses $given with $want.status $want.code', async (c) => {
      await expectRefused(c);
    });
  });

  describe('wrong and missing content type', () => {
    it.each<Case>([
      {
        given: 'JSON sent as text/plain',
        send: () => req('POST', '/v1/ingest', { ...bearer(keys.pro), 'Content-Type': 'text/plain' }, validTrace())(),
        want: { status: 415, code: 'unsupported_media_type' },
      },
      {
        given: 'a body without Content-Type',
        send: () => req('POST', '/v1/ingest', bearer(keys.pro), validTrace())(),
        want: { status: 415, code: 'unsupported_media_type' },
      },
      {
        given: 'a form post',
        send: () => req('POST', '/v1/feedback', { ...bearer(keys.pro), 'Content-Type': 'application/x-www-form-urlencoded' }, 'trace_id=tr_abcdef&score=1')(),
        want: { status: 415, code: 'unsupported_media_type' },
      },
      {
        given: 'protobuf where only JSON is declared',
        send: () => req('POST', '/v1/ingest', { ...bearer(keys.pro), 'Content-Type': 'application/x-protobuf' }, Buffer.from([0x0a, 0x02, 0x08, 0x01]))(),
        want: { status: 415, code: 'unsupported_media_type' },
      },
      {
        given: 'no body at all on an operation that requires one',
        send: () => req('POST', '/v1/ingest', bearer(keys.pro))(),
        want: { status: 422, code: 'validation_failed' },
      },
    ])('refuses $given with $want.status $want.code', async (c) => {
      await expectRefused(c);
    });
  });

  describe('bodies over each operation’s x-traceloom-max-body, refused before they are read whole', () => {
    const withBody = model.operations.filter((op) => op.requestContentTypes.length > 0);
    it('has a limit for every operation with a body', () => {
      expect(withBody.length).toBeGreaterThanOrEqual(14);
      for (const op of withBody) expect(op.maxBodyBytes, op.operationId).toBeGreaterThan(0);
    });

    it.each(withBody.map((op) => op.operationId))('%s: Content-Length one byte over the limit is answered 413 after 16 KB of it', async (operationId) => {
      const op = mock.model.operations.find((o) => o.operationId === operationId)!;
      const limit = op.maxBodyBytes!;
      const path = op.path.replace(/\{[^}]+\}/g, 'x_abcdef');
      const head = `${op.method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${keys.pro}\r\nContent-Type: application/json\r\nContent-Length: ${limit + 1}`;
      const before = await domainState();
      // 16 KB now, the rest only if no answer came within a second: the answer must not wait for it.
      const r = await rawRequest(mock.port, { head, chunks: [Buffer.alloc(16 * 1024, 0x20), Buffer.alloc(limit + 1 - 16 * 1024, 0x20)], delayMs: 1000 });
      expect(r.status).toBe(413);
      expect(r.body).toMatchObject({ code: 'payload_too_large', status: 413, limit });
      expect(r.sentBefore).toBeLessThanOrEqual(16 * 1024);
      expect(await domainState()).toEqual(before);
    });

    it('a chunked body with no Content-Length is cut off soon after the limit (POST /v1/route-model, 512 KB)', async () => {
      const op = mock.model.operations.find((o) => o.operationId === 'routeModel')!;
      const limit = op.maxBodyBytes!;
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const framed = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
      const head = `POST /v1/route-model HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${keys.pro}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked`;
      // Up to 4× the limit, slowly; the answer must come long before the end.
      const r = await rawRequest(mock.port, { head, chunks: Array.from({ length: Math.ceil((4 * limit) / chunk.length) }, () => framed), delayMs: 5 });
      expect(r.status).toBe(413);
      expect(r.body).toMatchObject({ code: 'payload_too_large', limit });
      expect(r.sentBefore).toBeGreaterThan(limit);
      expect(r.sentBefore).toBeLessThan(limit + 16 * framed.length);
    });
  });

  describe('compressed and binary bodies (OTLP: gzip, protobuf)', () => {
    const otlp = (headers: Record<string, string>, body: Buffer) => req('POST', '/v1/otlp/traces', { ...bearer(keys.pro), ...headers }, body);
    const gz = { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' };
    const pb = { 'Content-Type': 'application/x-protobuf' };
    const span = { traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 'chat', startTimeUnixNano: '1772539200120000000' };
    const validOtlp = () => Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }));
    const limit = model.operations.find((o) => o.operationId === 'exportOtlpTraces')!.maxBodyBytes!;
    /** One span as a protobuf ExportTraceServiceRequest, encoded by the official definitions. */
    const protobufOf = (one: Record<string, unknown>) => {
      const { request } = traceMessages();
      return Buffer.from(request.encode(request.fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [one] }] }] })).finish());
    };
    const corrupt = () => {
      const z = gzipSync(validOtlp());
      z[z.length - 6]! ^= 0xff; // the CRC-32 of the trailer no longer matches
      return z;
    };

    it.each<Case>([
      {
        given: 'a gzip bomb (10 MB of zeros in ~10 KB)',
        send: () => otlp(gz, gzipSync(Buffer.alloc(10 * 1024 * 1024)))(),
        want: {
          status: 413,
          code: 'payload_too_large',
          limit,
          detail: `The body decompresses to more than ${limit} bytes, the limit of POST /v1/otlp/traces.`,
        },
      },
      {
        given: 'a batch one byte over 5 MB once decompressed',
        send: () => req('POST', '/v1/ingest/batch', { ...json(), 'Content-Encoding': 'gzip' }, gzipSync(Buffer.alloc(limit + 1, 0x20)))(),
        want: { status: 413, code: 'payload_too_large', limit },
      },
      {
        given: 'a truncated gzip stream',
        send: () => otlp(gz, gzipSync(validOtlp()).subarray(0, 20))(),
        want: { status: 400, code: 'malformed_body', detail: expect.stringContaining('truncated') },
      },
      {
        given: 'a gzip stream whose checksum fails',
        send: () => otlp(gz, corrupt())(),
        want: { status: 400, code: 'malformed_body', detail: expect.stringContaining('incorrect data check') },
      },
      {
        given: 'plain JSON declared as gzip',
        send: () => otlp(gz, validOtlp())(),
        want: { status: 400, code: 'malformed_body', detail: expect.stringContaining('incorrect header check') },
      },
      {
        given: 'an encoding the route does not decode (br)',
        send: () => otlp({ 'Content-Type': 'application/json', 'Content-Encoding': 'br' }, validOtlp())(),
        want: {
          status: 415,
          code: 'unsupported_media_type',
          detail: 'Content-Encoding br is not accepted by POST /v1/otlp/traces; send gzip or identity (or no Content-Encoding).',
        },
      },
      {
        given: 'gzip on a route that takes no content coding (POST /v1/ingest)',
        send: () => req('POST', '/v1/ingest', { ...json(), 'Content-Encoding': 'gzip' }, gzipSync(validTrace()))(),
        want: {
          status: 415,
          code: 'unsupported_media_type',
          detail: 'Content-Encoding gzip is not accepted by POST /v1/ingest; send the body without Content-Encoding (identity).',
        },
      },
      {
        given: 'protobuf garbage (wire type 7)',
        send: () => otlp(pb, Buffer.from([0x0f, 0x01, 0x02]))(),
        want: { status: 400, code: 'malformed_body', detail: expect.stringContaining('invalid wire type 7') },
      },
      {
        given: 'protobuf with a length past its end',
        send: () => otlp(pb, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]))(),
        want: { status: 400, code: 'malformed_body' },
      },
      {
        given: 'gzipped protobuf garbage',
        send: () => otlp({ ...pb, 'Content-Encoding': 'gzip' }, gzipSync(Buffer.from('hello world, not protobuf')))(),
        want: { status: 400, code: 'malformed_body' },
      },
      {
        given: 'protobuf whose trace id is 8 bytes, not 16',
        send: () => otlp(pb, protobufOf({ ...span, traceId: Buffer.alloc(8, 1), spanId: Buffer.alloc(8, 2) }))(),
        want: {
          status: 422,
          code: 'validation_failed',
          errors: [expect.objectContaining({ pointer: '/resourceSpans/0/scopeSpans/0/spans/0/traceId', code: 'pattern' })],
        },
      },
    ])('refuses $given with $want.status $want.code and stores nothing', async (c) => {
      await expectRefused(c);
    });

    it('still ingests the same OTLP body gzipped and as protobuf (so the refusals above are about the encoding)', async () => {
      expect((await otlp(gz, gzipSync(validOtlp()))()).status).toBe(200);
      const other = { ...span, spanId: Buffer.from('0123456789abcdef', 'hex'), traceId: Buffer.from(span.traceId, 'hex') };
      const r = await otlp(pb, protobufOf(other))();
      expect([r.status, r.headers['content-type'], r.headers['content-length']]).toEqual([200, 'application/x-protobuf', '0']);
      const read = await fetch(`${mock.url}/v1/traces/tr_${span.traceId}`, { headers: bearer(keys.pro) });
      expect(await read.json()).toMatchObject({ span_count: 2, spans: [{ span_id: `sp_${span.spanId}`, name: 'chat' }, { span_id: 'sp_0123456789abcdef' }] });
    });
  });

  describe('batches, nesting and prototype keys', () => {
    it('refuses a batch of max-items + 1 traces with 400 batch_too_large', async () => {
      const op = mock.model.operations.find((o) => o.operationId === 'ingestBatch')!;
      const n = op.maxItems!.max + 1;
      expect(n).toBe(1001);
      const traces = Array.from({ length: n }, (_, i) => ({
        trace_id: `tr_batch${String(i).padStart(6, '0')}`,
        name: 'b',
        start_time: '2026-03-03T12:00:00Z',
        spans: [],
      }));
      await expectRefused({
        given: 'a 1,001-trace batch',
        send: req('POST', '/v1/ingest/batch', json(), JSON.stringify({ traces })),
        want: { status: 400, code: 'batch_too_large', limit: op.maxItems!.max },
      });
    });

    it.each<Case>([
      {
        given: '10,000 nested arrays as the body',
        send: () => req('POST', '/v1/ingest', json(), '['.repeat(10_000) + ']'.repeat(10_000))(),
        want: { status: 422, code: 'validation_failed' },
      },
      {
        given: '10,000 nested objects inside metadata',
        send: () =>
          req('POST', '/v1/ingest', json(), JSON.stringify({ ...trace(0), metadata: '@' }).replace('"@"', '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)))(),
        want: { status: 422, code: 'validation_failed' },
      },
      {
        given: '1,000,000 nested arrays (2 MB)',
        send: () => req('POST', '/v1/ingest/batch', json(), '['.repeat(1_000_000) + ']'.repeat(1_000_000))(),
        want: { status: 422, code: 'validation_failed' },
      },
      {
        given: 'a top-level __proto__ member',
        send: () => req('POST', '/v1/ingest', json(), validTrace().replace(/^\{/, '{"__proto__":{"polluted":"yes"},'))(),
        want: { status: 422, code: 'validation_failed', errors: [expect.objectContaining({ pointer: '/__proto__', code: 'unknown_property' })] },
      },
      {
        given: 'constructor.prototype in a span',
        send: () => req('POST', '/v1/ingest', json(), validTrace().replace('"span_id"', '"constructor":{"prototype":{"polluted":"yes"}},"span_id"'))(),
        want: { status: 422, code: 'validation_failed', errors: [expect.objectContaining({ pointer: '/spans/0/constructor', code: 'unknown_property' })] },
      },
      {
        given: 'a prototype member in a batch item',
        send: () => req('POST', '/v1/ingest/batch', json(), `{"traces":[${validTrace().replace(/^\{/, '{"prototype":{"polluted":"yes"},')}]}`)(),
        want: { status: 422, code: 'validation_failed' },
      },
      {
        given: '__proto__ in a PATCH',
        send: () => req('PATCH', '/v1/eval-rules/rule_abcdef', json(), '{"__proto__":{"polluted":"yes"},"enabled":false}')(),
        want: { status: 422, code: 'validation_failed' },
      },
    ])('refuses $given with $want.status $want.code', async (c) => {
      await expectRefused(c);
    });

    it('stores a __proto__ key of a free-form map (metadata) as data, without touching any prototype', async () => {
      const t = trace(0);
      const body = JSON.stringify({ ...t, metadata: { note: 'x' } }).replace('{"note":"x"}', '{"__proto__":"polluted","constructor":"x"}');
      const r = await req('POST', '/v1/ingest', json(), body)();
      expect(r.status).toBe(202);
      const read = await fetch(`${mock.url}/v1/traces/${t.trace_id}`, { headers: bearer(keys.pro) });
      const text = await read.text();
      expect(text).toContain('"metadata":{"__proto__":"polluted","constructor":"x"}');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    });
  });

  describe('invalid UTF-8', () => {
    const inString = (bytes: number[]) => () => {
      const [a, b] = validTrace().split('"conformance"');
      return req('POST', '/v1/ingest', json(), Buffer.concat([Buffer.from(`${a}"conf`), Buffer.from(bytes), Buffer.from(`"${b}`)]))();
    };
    it.each<Case>([
      { given: 'a 0xFF byte in a JSON string', send: inString([0xff]), want: { status: 400, code: 'malformed_json' } },
      { given: 'an overlong encoding of "/" (C0 AF)', send: inString([0xc0, 0xaf]), want: { status: 400, code: 'malformed_json' } },
      { given: 'an encoded UTF-16 surrogate (ED A0 80)', send: inString([0xed, 0xa0, 0x80]), want: { status: 400, code: 'malformed_json' } },
      { given: 'a truncated multi-byte sequence (E2 82)', send: inString([0xe2, 0x82]), want: { status: 400, code: 'malformed_json' } },
      {
        given: 'raw 0xFF bytes in the request target',
        send: req('GET', Buffer.from([...Buffer.from('/v1/traces/tr_'), 0xff, 0xfe]), bearer('x')),
        want: { status: 400, code: 'invalid_request' },
      },
      {
        given: 'percent-encoded invalid UTF-8 in a path id',
        send: () => req('GET', '/v1/traces/tr_%FF%FE%FD', bearer(keys.pro))(),
        want: { status: 400, code: 'invalid_request' },
      },
      {
        given: 'an API key with 0xFF bytes',
        send: req('GET', '/v1/traces', { Authorization: Buffer.from([...Buffer.from('Bearer tl_test_'), 0xff, 0xfe]) }),
        want: { status: 401, code: 'invalid_api_key' },
      },
    ])('refuses $given with $want.status $want.code', async (c) => {
      await expectRefused(c);
    });
  });

  describe('huge headers', () => {
    it.each<Case>([
      { given: 'one 20 KB header', send: req('GET', '/v1/traces', { 'X-Big': 'a'.repeat(20_000) }), want: { status: 431, code: 'headers_too_large' } },
      {
        given: '1,500 small headers (24 KB)',
        send: req('GET', '/v1/traces', Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`X-H${i}`, 'aaaaaaaa']))),
        want: { status: 431, code: 'headers_too_large' },
      },
      {
        given: 'a 20 KB Authorization header',
        send: req('GET', '/v1/traces', { Authorization: `Bearer tl_test_${'a'.repeat(20_000)}` }),
        want: { status: 431, code: 'headers_too_large' },
      },
    ])('answers $given with $want.status $want.code and closes', async (c) => {
      const r = await expectRefused(c);
      expect(r.headers.connection).toBe('close');
    });
  });

  describe('huge, negative and malformed query values', () => {
    it.each<Case>(
      [
        ['limit=-1'],
        ['limit=0'],
        ['limit=101'],
        ['limit=1e309'],
        ['limit=99999999999999999999999'],
        ['limit=abc'],
        ['limit=1.5'],
        ['limit=10&limit=20'],
        ['cursor=garbage!!'],
        [`cursor=${'c'.repeat(300)}`],
        ['cursor=zzzz'],
        ['from=yesterday'],
        ['from=2026-02-30T00:00:00Z'],
        ['project_id=prj_%00%00%00'],
        [`api_key=${'tl_test_pro_00000000000000000000000001'}`],
      ].map(([query]) => ({
        given: `GET /v1/traces?${query!.slice(0, 40)}`,
        send: () => req('GET', `/v1/traces?${query}`, bearer(keys.pro))(),
        want: { status: 400, code: 'invalid_request' },
      })),
    )('refuses $given with 400 invalid_request', async (c) => {
      await expectRefused(c);
    });
  });

  describe('unknown routes and methods', () => {
    it.each<Case>([
      { given: 'an unknown path', send: () => req('GET', '/v1/nope', bearer(keys.pro))(), want: { status: 404, code: 'not_found' } },
      { given: 'a version that does not exist', send: () => req('GET', '/v2/traces', bearer(keys.pro))(), want: { status: 404, code: 'not_found' } },
      { given: 'a trailing slash', send: () => req('GET', '/v1/traces/', bearer(keys.pro))(), want: { status: 404, code: 'not_found' } },
      { given: 'an empty path segment', send: () => req('GET', '/v1//traces', bearer(keys.pro))(), want: { status: 404, code: 'not_found' } },
      { given: 'a method token HTTP does not know (FOO)', send: req('FOO', '/v1/traces'), want: { status: 400, code: 'invalid_request' } },
      { given: 'a request line that is not HTTP', send: () => rawRequest(mock.port, { head: 'HELLO' }), want: { status: 400, code: 'invalid_request' } },
    ])('answers $given with $want.status $want.code', async (c) => {
      await expectRefused(c);
    });

    // A known path with an undeclared method answers 404 `not_found` plus `Allow`, not 405: the
    // registry has no 405 code and DESIGN §3.3 lists none. Clients branch on `code`, and the
    // Allow header still tells a person what the path takes.
    it.each([
      ['PUT', '/v1/traces', 'GET'],
      ['DELETE', '/v1/ingest', 'POST'],
      ['POST', '/v1/traces/tr_abcdef', 'DELETE, GET'],
    ])('answers %s %s with 404 not_found and Allow: %s', async (method, path, allow) => {
      const r = await expectRefused({
        given: '',
        send: req(method, path, bearer(keys.pro), method === 'GET' ? undefined : ''),
        want: { status: 404, code: 'not_found' },
      });
      expect(r.headers.allow).toBe(allow);
    });
  });

  describe('path traversal against the docs server', () => {
    it.each<Case>(
      [
        ['/docs/../package.json', 404, 'not_found'],
        ['/docs/../secret.txt', 404, 'not_found'],
        ['/docs/%2e%2e/package.json', 404, 'not_found'],
        ['/docs/%2E%2E%2Fsecret.txt', 404, 'not_found'],
        ['/docs/..%2fsecret.txt', 404, 'not_found'],
        ['/docs/..%5csecret.txt', 404, 'not_found'],
        ['/docs/%252e%252e/secret.txt', 404, 'not_found'],
        ['/docs/%00', 400, 'invalid_request'],
        ['/docs/index.html%00.txt', 400, 'invalid_request'],
        ['/docs/%E0%A4%A', 400, 'invalid_request'],
      ].map(([path, status, code]) => ({ given: String(path), send: req('GET', String(path)), want: { status: Number(status), code: String(code) } })),
    )('answers GET $given with $want.status $want.code and no file outside the docs', async (c) => {
      await expectRefused(c);
    });

    it('still serves the docs themselves', async () => {
      const r = await req('GET', '/docs/')();
      expect(r.status).toBe(200);
      expect(r.text).toContain('<title>docs</title>');
    });
  });

  describe('credentials', () => {
    const session = async (claims: Record<string, unknown>, { secret = jwtSecret, alg = 'HS256', exp = '1h' as string | number } = {}) => {
      let jwt = new SignJWT({ tenant_id: tenantId, ...claims }).setProtectedHeader({ alg }).setSubject('usr_badinput').setIssuedAt();
      if (exp !== 0) jwt = jwt.setExpirationTime(exp);
      return jwt.sign(secret);
    };
    const withToken =
      (token: () => Promise<string>): Send =>
      async () =>
        req('GET', '/v1/traces', bearer(await token()))();

    it('accepts a valid session token from the control API and the full-scope key (so the refusals below are about the credential)', async () => {
      const state = (await (await fetch(`${mock.url}/__mock/state`)).json()) as { tenants: { id: string; session_token: string }[] };
      const token = state.tenants.find((t) => t.id === tenantId)!.session_token;
      expect((await req('GET', '/v1/traces', bearer(token))()).status).toBe(200);
      expect((await req('GET', '/v1/traces', bearer(await session({})))()).status).toBe(200);
      expect((await req('GET', '/v1/traces', bearer(keys.pro))()).status).toBe(200);
    });

    it.each<Case>([
      { given: 'no credentials', send: req('GET', '/v1/traces'), want: { status: 401, code: 'missing_credentials' } },
      { given: 'an empty x-api-key', send: req('GET', '/v1/traces', { 'x-api-key': '' }), want: { status: 401, code: 'missing_credentials' } },
      { given: 'a garbage key', send: req('GET', '/v1/traces', bearer('tl_test_garbage')), want: { status: 401, code: 'invalid_api_key' } },
      { given: 'a garbage x-api-key', send: req('GET', '/v1/traces', { 'x-api-key': 'not-a-key' }), want: { status: 401, code: 'invalid_api_key' } },
      { given: 'a revoked key', send: () => req('GET', '/v1/traces', bearer(keys.revoked))(), want: { status: 401, code: 'invalid_api_key' } },
      {
        given: 'a key one character off',
        send: () => req('GET', '/v1/traces', bearer(keys.pro.slice(0, -1) + '2'))(),
        want: { status: 401, code: 'invalid_api_key' },
      },
      { given: 'Basic auth', send: req('GET', '/v1/traces', { Authorization: 'Basic dXNlcjpwYXNz' }), want: { status: 401, code: 'invalid_api_key' } },
      {
        given: 'a JWT with alg none',
        send: withToken(async () => new UnsecuredJWT({ tenant_id: tenantId }).setSubject('usr_x').setExpirationTime('1h').encode()),
        want: { status: 401, code: 'invalid_api_key' },
      },
      {
        given: 'a JWT signed with another secret',
        send: withToken(() => session({}, { secret: new TextEncoder().encode('not-the-mock-secret-not-the-mock-secret') })),
        want: { status: 401, code: 'invalid_api_key' },
      },
      {
        given: 'a JWT signed with HS512 (alg not pinned)',
        send: withToken(() => session({}, { alg: 'HS512' })),
        want: { status: 401, code: 'invalid_api_key' },
      },
      {
        given: 'an expired JWT',
        send: withToken(() => session({}, { exp: Math.floor(Date.now() / 1000) - 60 })),
        want: { status: 401, code: 'expired_token' },
      },
      { given: 'a JWT without exp', send: withToken(() => session({}, { exp: 0 })), want: { status: 401, code: 'invalid_api_key' } },
      {
        given: 'a JWT for a tenant that does not exist',
        send: withToken(() => session({ tenant_id: 'ten_nobodyhere' })),
        want: { status: 401, code: 'invalid_api_key' },
      },
      {
        given: 'a valid JWT whose payload was edited (tenant swapped)',
        send: withToken(async () => {
          const [h, , s] = (await session({})).split('.');
          return `${h}.${Buffer.from(JSON.stringify({ tenant_id: 'ten_enterpriseco', sub: 'usr_x', exp: 9_999_999_999 })).toString('base64url')}.${s}`;
        }),
        want: { status: 401, code: 'invalid_api_key' },
      },
      { given: 'a key in the query string', send: () => req('GET', `/v1/traces?api_key=${keys.pro}`)(), want: { status: 400, code: 'invalid_request' } },
    ])('refuses $given with $want.status $want.code', async (c) => {
      const r = await expectRefused(c);
      if (c.want.status === 401) expect(r.headers['www-authenticate']).toBe('Bearer realm="traceloom"');
    });
  });
});
