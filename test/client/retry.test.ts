import { afterEach, describe, expect, it } from 'vitest';
import { createClient, isTraceloomError, TraceloomError, toTraceloomError } from '../../src/client/index.js';
import { isRetryable, retryDelay } from '../../src/client/retry.js';
import { delayed, empty, json, problem, reset, scripted, trace, type Scripted } from './server.js';

let server: Scripted | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A client with short backoff so that tests of "retried" do not wait. */
function clientFor(s: Scripted, options: Partial<Parameters<typeof createClient>[0]> = {}) {
  return createClient({ apiKey: 'tl_test_x', baseUrl: s.url, backoff: { baseMs: 5, maxMs: 20 }, ...options });
}

const page = { data: [], next_cursor: null };

describe('retries', () => {
  it('waits Retry-After seconds after a 429, then returns the success', async () => {
    server = await scripted([problem(429, 'rate_limited', { 'retry-after': '1' }), json(200, page)]);
    const { data, error } = await clientFor(server).GET('/v1/traces');
    expect(error).toBeUndefined();
    expect(data).toEqual(page);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('retries a 503 (with backoff when it gives no delay) and returns the success', async () => {
    server = await scripted([problem(503, 'service_unavailable'), problem(500, 'internal_error'), json(200, page)]);
    const { data } = await clientFor(server).GET('/v1/traces');
    expect(data).toEqual(page);
    expect(server.requests).toHaveLength(3);
  });

  it('retries a 502 from a proxy that sends no problem body', async () => {
    server = await scripted([(_s, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>'), json(200, page)]);
    const { data } = await clientFor(server).GET('/v1/traces');
    expect(data).toEqual(page);
    expect(server.requests).toHaveLength(2);
  });

  it.each([
    [400, 'invalid_request'],
    [401, 'invalid_api_key'],
    [402, 'quota_exceeded'],
    [403, 'project_archived'],
    [404, 'not_found'],
    [409, 'trace_already_exists'],
    [413, 'payload_too_large'],
    [422, 'validation_failed'],
  ])('never retries a %i (%s): exactly one request', async (status, code) => {
    server = await scripted([problem(status, code, { 'retry-after': '1' }), json(202, {})]);
    const { error, response } = await clientFor(server).POST('/v1/ingest', { body: trace(1) });
    expect(server.requests).toHaveLength(1);
    expect(response.status).toBe(status);
    expect(error).toMatchObject({ code });
  });

  it('stops after maxRetries and returns the last answer', async () => {
    server = await scripted([problem(503, 'service_unavailable')]);
    const { error } = await clientFor(server, { maxRetries: 2 }).GET('/v1/traces');
    expect(server.requests).toHaveLength(3);
    expect(error).toMatchObject({ code: 'service_unavailable' });
  });

  it('does not wait past maxWaitMs: a Retry-After beyond it returns the 429 at once', async () => {
    server = await scripted([problem(429, 'rate_limited', { 'retry-after': '120' }), json(200, page)]);
    const started = Date.now();
    const result = await clientFor(server, { maxWaitMs: 2000 }).GET('/v1/traces');
    expect(Date.now() - started).toBeLessThan(10_000); // not the 120 s it was told (room for a loaded machine)
    expect(server.requests).toHaveLength(1);
    expect(toTraceloomError(result)).toMatchObject({ status: 429, code: 'rate_limited', retryAfter: 120, requestId: 'req_test' });
  });
});

describe('network errors', () => {
  it('retries a GET whose connection was reset', async () => {
    server = await scripted([reset, json(200, page)]);
    const { data } = await clientFor(server).GET('/v1/traces');
    expect(data).toEqual(page);
    expect(server.requests).toHaveLength(2);
  });

  it('retries a POST after a reset with the same Idempotency-Key', async () => {
    server = await scripted([reset, reset, json(202, { status: 'accepted', trace_id: 'tr_1', spans_accepted: 0 })]);
    const { data } = await clientFor(server).POST('/v1/ingest', { body: trace(1) });
    expect(data).toMatchObject({ status: 'accepted' });
    const keys = server.requests.map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(3);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    expect(server.requests.map((r) => r.body)).toEqual(Array(3).fill(JSON.stringify(trace(1))));
  });

  it('gives every POST its own Idempotency-Key and keeps one the caller set', async () => {
    server = await scripted([json(202, {})]);
    const client = clientFor(server);
    await client.POST('/v1/ingest', { body: trace(1) });
    await client.POST('/v1/ingest', { body: trace(2) });
    await client.POST('/v1/ingest', { body: trace(3), headers: { 'Idempotency-Key': 'mine-1' } });
    const [a, b, c] = server.requests.map((r) => r.headers['idempotency-key']);
    expect(a).not.toBe(b);
    expect(c).toBe('mine-1');
  });

  it('does not resend a PATCH (no Idempotency-Key) after a reset: it might have been applied', async () => {
    server = await scripted([reset, json(200, {})]);
    const call = clientFor(server).PATCH('/v1/projects/{project_id}', { params: { path: { project_id: 'prj_1' } }, body: { name: 'x' } });
    await expect(call).rejects.toMatchObject({ name: 'TraceloomError', status: 0, code: 'network_error' });
    expect(server.requests).toHaveLength(1);
  });

  it('throws a TraceloomError with status 0 when the server stays unreachable', async () => {
    const gone = await scripted([json(200, {})]);
    const url = gone.url;
    await gone.close();
    const client = createClient({ baseUrl: url, maxRetries: 2, backoff: { baseMs: 1, maxMs: 2 } });
    const error = await client.GET('/v1/health').catch((e: unknown) => e);
    expect(isTraceloomError(error)).toBe(true);
    expect(error).toMatchObject({ status: 0, code: 'network_error', retryable: true });
    expect((error as Error).message).toMatch(/GET \/v1\/health failed before a response arrived/);
  });

  it('times out a slow attempt and retries it', async () => {
    server = await scripted([delayed(3000, json(200, { status: 'ok' })), json(200, page)]);
    const { data } = await clientFor(server, { timeoutMs: 200 }).GET('/v1/traces');
    // The second answer, not the slow first one: the attempt was cut and retried.
    expect(data).toEqual(page);
    expect(server.requests).toHaveLength(2);
  });

  it('reports a timeout as code `timeout` once retries are spent', async () => {
    server = await scripted([delayed(3000, json(200, page))]);
    const call = clientFor(server, { timeoutMs: 100, maxRetries: 1 }).GET('/v1/traces');
    await expect(call).rejects.toMatchObject({ status: 0, code: 'timeout' });
  });

  it("an abort signal stops a call that is waiting to retry, with the signal's reason", async () => {
    server = await scripted([problem(429, 'rate_limited', { 'retry-after': '10' })]);
    const controller = new AbortController();
    let abortedAt = 0;
    // Abort once the 429 has arrived: from then on the call is waiting out its 10 s Retry-After.
    const fetchThenAbort = async (request: Request) => {
      const response = await fetch(request);
      setTimeout(() => {
        abortedAt = Date.now();
        controller.abort();
      }, 20);
      return response;
    };
    const call = clientFor(server, { fetch: fetchThenAbort }).GET('/v1/traces', { signal: controller.signal });
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(server.requests).toHaveLength(1);
    expect(abortedAt).toBeGreaterThan(0);
    expect(Date.now() - abortedAt).toBeLessThan(5000); // not the rest of the 10 s (room for a loaded machine)
  });

  it('the client-level signal aborts its calls too', async () => {
    server = await scripted([delayed(3000, json(200, page))]);
    const controller = new AbortController();
    const client = clientFor(server, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(client.GET('/v1/traces')).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('retry delay', () => {
  const ctx = { now: () => 1_000_000, random: () => 0.5, backoffBaseMs: 100, backoffMaxMs: 1000 };
  const res = (status: number, headers: Record<string, string>) => new Response(null, { status, headers });

  it.each<{ given: Record<string, string>; want: number; why: string }>([
    {
      given: { 'retry-after': '3', ratelimit: '"default";r=0;t=9', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1020' },
      want: 3000,
      why: 'Retry-After first',
    },
    { given: { 'retry-after': new Date(1_005_000).toUTCString() }, want: 5000, why: 'Retry-After as an HTTP-date' },
    {
      given: { ratelimit: '"default";r=5;t=30, "reads";r=0;t=2', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1020' },
      want: 2000,
      why: 'RateLimit t of the exhausted policy',
    },
    { given: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1007' }, want: 7000, why: 'X-RateLimit-Reset (epoch seconds) when remaining is 0' },
    { given: { 'x-ratelimit-remaining': '4', 'x-ratelimit-reset': '1007' }, want: 50, why: 'backoff when nothing is exhausted (0.5 × 100 ms)' },
    { given: {}, want: 50, why: 'backoff' },
  ])('$why', ({ given, want }) => {
    expect(retryDelay(ctx, res(503, given), 0)).toBe(want);
  });

  it('backs off exponentially with full jitter, capped', () => {
    const high = { ...ctx, random: () => 0.999 };
    expect([0, 1, 2, 3, 4, 10].map((a) => retryDelay(high, res(503, {}), a))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(retryDelay({ ...ctx, random: () => 0 }, res(503, {}), 5)).toBe(0);
  });

  it.each([
    { status: 429, body: { code: 'rate_limited' }, want: true },
    { status: 503, body: { code: 'service_unavailable' }, want: true },
    { status: 500, body: { code: 'some_new_code' }, want: true },
    { status: 503, body: { code: 'payload_too_large' }, want: false }, // the registry says no
    { status: 501, body: { code: 'not_implemented' }, want: false }, // a 5xx the registry marks final
    { status: 402, body: { code: 'quota_exceeded' }, want: false },
    { status: 408, body: {}, want: false },
  ])('retryable($status, $body.code) is $want, from the registry', async ({ status, body, want }) => {
    const response = new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/problem+json' } });
    expect(await isRetryable(response)).toBe(want);
  });
});

describe('typed errors', () => {
  it("keeps openapi-fetch's {data, error, response} and turns `error` into a TraceloomError", async () => {
    server = await scripted([problem(402, 'quota_exceeded', { 'x-request-id': 'req_abc' }, { meter: 'traces', limit: 10000, used: 10000 })]);
    const result = await clientFor(server).POST('/v1/ingest', { body: trace(1) });
    expect(result.data).toBeUndefined();
    expect(result.error).toMatchObject({ code: 'quota_exceeded', meter: 'traces' });
    const error = toTraceloomError(result)!;
    expect(error).toBeInstanceOf(TraceloomError);
    expect(error).toMatchObject({ status: 402, code: 'quota_exceeded', requestId: 'req_abc', retryAfter: null, retryable: false });
    expect(error.problem?.used).toBe(10000);
  });

  it('the facade resolves with the body and rejects with a TraceloomError', async () => {
    server = await scripted([json(200, page), problem(404, 'not_found', {}, { detail: 'No trace tr_x.' }), empty(204)]);
    const client = clientFor(server);
    await expect(client.traces.list({ limit: 5 })).resolves.toEqual(page);
    expect(server.requests[0]!.path).toBe('/v1/traces?limit=5');
    await expect(client.traces.get('tr_x')).rejects.toMatchObject({
      status: 404,
      code: 'not_found',
      message: '404 not_found: No trace tr_x. (request req_test)',
    });
    await expect(client.traces.delete('tr_x')).resolves.toBeUndefined();
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/traces?limit=5', 'GET /v1/traces/tr_x', 'DELETE /v1/traces/tr_x']);
  });

  it('names a registry code for a bare error status (503 → service_unavailable)', async () => {
    server = await scripted([(_s, res) => res.writeHead(503).end('down')]);
    const result = await clientFor(server, { maxRetries: 0 }).GET('/v1/traces');
    expect(toTraceloomError(result)).toMatchObject({ status: 503, code: 'service_unavailable', problem: null });
  });

  it('sends the API key as a bearer token', async () => {
    server = await scripted([json(200, page)]);
    await clientFor(server).GET('/v1/traces');
    expect(server.requests[0]!.headers.authorization).toBe('Bearer tl_test_x');
  });
});
