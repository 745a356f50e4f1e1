/** The control API goes through the shared body reader and request ids; options are checked once. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMock, MockOptionsError, type MockServer } from '../../src/mock/index.js';

describe('control API', () => {
  let mock: MockServer;
  beforeAll(async () => {
    mock = await createMock({ port: 0, log: false, env: {} });
  });
  afterAll(() => mock?.close());

  it('refuses a 100 KB control body with 413 payload_too_large, not 400', async () => {
    const r = await fetch(`${mock.url}/__mock/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(100 * 1024) }),
    });
    expect(r.status).toBe(413);
    expect((await r.json()).code).toBe('payload_too_large');
  });

  it('answers with a real request id in the body and in X-Request-Id, and echoes a valid incoming one', async () => {
    const r = await fetch(`${mock.url}/__mock/tenants/ten_nobody/plan`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"plan":"pro"}',
    });
    const body = await r.json();
    expect([r.status, body.code]).toEqual([404, 'not_found']);
    expect(body.request_id).toMatch(/^req_[0-9A-Z]{16}$/);
    expect(r.headers.get('x-request-id')).toBe(body.request_id);
    const echoed = await fetch(`${mock.url}/__mock/state`, { headers: { 'x-request-id': 'ctl-trace-0001' } });
    expect(echoed.headers.get('x-request-id')).toBe('ctl-trace-0001');
  });

  it('answers malformed JSON with 400 malformed_json, a non-object with 400 invalid_request, and a wrong method with 404 naming the right one', async () => {
    const bad = await fetch(`${mock.url}/__mock/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect([bad.status, (await bad.json()).code]).toEqual([400, 'malformed_json']);
    const list = await fetch(`${mock.url}/__mock/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1]' });
    expect([list.status, (await list.json()).code]).toEqual([400, 'invalid_request']);
    const wrong = await fetch(`${mock.url}/__mock/reset`);
    expect([wrong.status, wrong.headers.get('allow')]).toEqual([404, 'POST']);
  });
});

describe('mock options', () => {
  it.each([
    { given: { chaos: 1.5 }, want: /chaos 1.5 must be a share from 0 to 1/ },
    { given: { chaos: -0.1 }, want: /chaos -0.1 must be a share from 0 to 1/ },
    { given: { latencyMs: [200, 50] as [number, number] }, want: /latencyMs \[200, 50\] must be \[min, max\]/ },
    { given: { port: 70000 }, want: /port 70000 must be an integer from 0/ },
    { given: { redisCluster: '127.0.0.1' }, want: /is not HOST:PORT/ },
    { given: { redisUrl: 'localhost:6379' }, want: /must start with redis:\/\// },
  ])('refuses $given with an error that says what is allowed (never clamps)', async ({ given, want }) => {
    const err = await createMock({ port: 0, log: false, env: {}, ...given }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MockOptionsError);
    expect((err as Error).message).toMatch(want);
  });
});
