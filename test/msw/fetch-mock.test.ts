/**
 * The engine behind traceloom/msw on fetch alone (no MSW, no socket): bodies read from a
 * `Request` stream under the operation's limit, gzip inflated by the platform's
 * DecompressionStream with the limit on inflated bytes, and the engine as the client's `fetch`.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/client/index.js';
import { createFetchMock } from '../../src/msw/index.js';

const KEY = 'tl_test_free_0000000000000000000001';
const BASE = 'https://api.traceloom.dev';

const otlp = (traceId: string) => ({
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fetch-mock' } }] },
      scopeSpans: [
        {
          spans: [
            { traceId, spanId: '00f067aa0ba902b7', name: 'llm', kind: 1, startTimeUnixNano: '1772539200000000000', endTimeUnixNano: '1772539201000000000' },
          ],
        },
      ],
    },
  ],
});

describe('createFetchMock: the mock on fetch', () => {
  const mock = createFetchMock();
  const otlpLimit = mock.model.operations.find((o) => o.path === '/v1/otlp/traces')!.maxBodyBytes!;
  const post = (body: BodyInit, headers: Record<string, string>) =>
    mock.fetch(
      new Request(`${BASE}/v1/otlp/traces`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
        body,
      }),
    );

  it('accepts an OTLP/JSON body sent with Content-Encoding: gzip, and the trace reads back', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const r = await post(gzipSync(JSON.stringify(otlp(traceId))), { 'content-encoding': 'gzip' });
    expect(r.status).toBe(200);
    const list = await mock.fetch(new Request(`${BASE}/v1/traces?limit=5`, { headers: { authorization: `Bearer ${KEY}` } }));
    expect(JSON.stringify(await list.json())).toContain(traceId);
  });

  it('refuses a gzip bomb with 413 once the inflated bytes pass the limit, and says so', async () => {
    const bomb = gzipSync(Buffer.alloc(otlpLimit + 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(otlpLimit);
    const r = await post(bomb, { 'content-encoding': 'gzip' });
    expect(r.status).toBe(413);
    expect(await r.json()).toMatchObject({ code: 'payload_too_large', limit: otlpLimit, detail: expect.stringMatching(/decompresses to more than/) });
  });

  it('answers a truncated gzip stream with 400 malformed_body', async () => {
    const whole = gzipSync(JSON.stringify(otlp('5bf92f3577b34da6a3ce929d0e0e4736')));
    const r = await post(whole.subarray(0, whole.length - 12), { 'content-encoding': 'gzip' });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ code: 'malformed_body' });
  });

  it('refuses a body past the limit as it streams in, with no Content-Length to go by', async () => {
    const big = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i <= otlpLimit / 65536; i++) c.enqueue(new Uint8Array(65536).fill(0x20));
        c.close();
      },
    });
    const r = await mock.fetch(
      new Request(`${BASE}/v1/otlp/traces`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: big,
        duplex: 'half',
      } as RequestInit),
    );
    expect(r.status).toBe(413);
  });

  it("is a client's fetch as it is: createClient({ fetch: mock.fetch })", async () => {
    const client = createClient({ apiKey: KEY, baseUrl: BASE, fetch: (req) => mock.fetch(req) });
    const { data, response } = await client.GET('/v1/usage');
    expect(response.status).toBe(200);
    expect(data).toBeTruthy();
  });

  it('control operations refuse bad input with the problem, as the control API does', async () => {
    await expect(mock.control.setPlan('ten_freeco', 'platinum')).rejects.toMatchObject({ name: 'MockControlError', problem: { code: 'invalid_request' } });
    await expect(mock.control.clock({ advanceSeconds: -1 })).rejects.toThrow(/advance_seconds/);
  });

  it('runs on the clock the test gives it: the 429 clears once that clock passes Retry-After', async () => {
    let now = Date.UTC(2026, 2, 3, 12);
    const timed = createFetchMock({ policies: ['default=2/1h'], now: () => now });
    const get = () => timed.fetch(new Request(`${BASE}/v1/usage`, { headers: { authorization: `Bearer ${KEY}` } }));
    expect([(await get()).status, (await get()).status]).toEqual([200, 200]);
    const refused = await get();
    expect(refused.status).toBe(429);
    const wait = Number(refused.headers.get('retry-after'));
    now += (wait - 1) * 1000;
    expect((await get()).status).toBe(429);
    now += 1000;
    expect((await get()).status).toBe(200);
  });
});

describe('createMswHandlers with a base path', () => {
  it('serves the API under https://example.com/api as a proxy would: the prefix is removed before routing', async () => {
    const { setupServer } = await import('msw/node');
    const { createMswHandlers } = await import('../../src/msw/index.js');
    const api = createMswHandlers({ baseUrl: 'https://example.com/api/' });
    const server = setupServer(...api);
    server.listen({ onUnhandledRequest: 'error' });
    try {
      const ok = await fetch('https://example.com/api/v1/usage', { headers: { authorization: `Bearer ${KEY}` } });
      expect(ok.status).toBe(200);
      const missing = await fetch('https://example.com/api/v1/nope', { headers: { authorization: `Bearer ${KEY}` } });
      expect(missing.status).toBe(404);
      expect((await missing.json()).instance).toBe('/v1/nope');
    } finally {
      server.close();
    }
  });
});
