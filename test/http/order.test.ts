/**
 * The pipeline's ordering rules (src/http/pipeline.ts, steps 1–12), one test each: when a request
 * is wrong in two ways, the earlier step answers.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMock, type MockServer } from '../../src/mock/index.js';

const FREE = 'tl_test_free_0000000000000000000001';
const INGEST_ONLY = 'tl_test_starter_ingest_00000000000001';
const ARCHIVED = 'tl_test_pro_archived_000000000000000001';

describe('pipeline order', () => {
  let mock: MockServer;
  const send = (path: string, init: { method?: string; key?: string; body?: string; type?: string } = {}) =>
    fetch(`${mock.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { ...(init.key ? { authorization: `Bearer ${init.key}` } : {}), ...(init.type ? { 'content-type': init.type } : {}) },
      body: init.body,
    }).then(async (r) => ({ status: r.status, headers: r.headers, body: await r.json() }));
  const trace = (id: string) => JSON.stringify({ trace_id: id, name: 'o', start_time: '2026-03-03T12:00:00Z', spans: [] });

  beforeAll(async () => {
    mock = await createMock({ port: 0, log: false, policies: ['default=2/60s'] });
  });
  afterAll(() => mock?.close());
  beforeEach(async () => {
    await fetch(`${mock.url}/__mock/reset`, { method: 'POST' });
  });

  it('3 before 4–5: an unknown route is 404 even without credentials', async () => {
    expect((await send('/v1/nothing-here')).body.code).toBe('not_found');
  });

  it('4 before 5: an oversized body is 413 even without credentials', async () => {
    const r = await send('/v1/feedback', { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1), type: 'application/json' });
    expect([r.status, r.body.code]).toEqual([413, 'payload_too_large']);
  });

  it('4 before 5: malformed JSON is 400 even without credentials', async () => {
    expect((await send('/v1/ingest', { method: 'POST', body: '{', type: 'application/json' })).body.code).toBe('malformed_json');
  });

  it('6 before 7: a missing scope is 403 even when the rate limit is spent', async () => {
    for (let i = 0; i < 3; i++) await send('/v1/ingest', { method: 'POST', key: INGEST_ONLY, body: trace(`tr_order${i}aaaa`), type: 'application/json' });
    expect((await send('/v1/traces', { key: INGEST_ONLY })).body.code).toBe('insufficient_scope');
  });

  it('7 before 8: a spent rate limit is 429 even for an archived project', async () => {
    for (let i = 0; i < 2; i++)
      expect((await send('/v1/ingest', { method: 'POST', key: ARCHIVED, body: trace(`tr_arch${i}aaaa`), type: 'application/json' })).status).toBe(403);
    const r = await send('/v1/ingest', { method: 'POST', key: ARCHIVED, body: trace('tr_arch9aaaa'), type: 'application/json' });
    expect([r.status, r.body.code]).toEqual([429, 'rate_limited']);
  });

  it('7 before 9: a request that breaks the schema is counted against the rate limit', async () => {
    const bad = await send('/v1/ingest', { method: 'POST', key: FREE, body: '{"trace_id":"nope"}', type: 'application/json' });
    expect(bad.status).toBe(422);
    expect(bad.headers.get('ratelimit')).toMatch(/"default";r=1;/);
  });

  it('7: a plan gate refusal consumes nothing', async () => {
    expect((await send('/v1/audit/events', { key: FREE })).status).toBe(402);
    const next = await send('/v1/usage', { key: FREE });
    expect(next.headers.get('ratelimit')).toMatch(/"default";r=1;/);
  });
});
