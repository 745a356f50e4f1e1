/**
 * The HTTP conformance suite: the behaviour a client sees, run against every backend that
 * serves the contract (the mock, the server stubs). A backend gives a {@link Target}.
 */
import { connect } from 'node:net';
import { describe, expect, it, beforeAll, afterAll, beforeEach } from 'vitest';
import type { ContractModel } from '../../src/contract/index.js';
import type { Fixtures } from '../../src/mock/fixtures.js';

export interface Target {
  url: string;
  model: ContractModel;
  /** A full-scope key per plan id, plus special keys. */
  keys: Record<string, string> & { ingestOnly: string; revoked: string; archived: string };
  /** Tenant id per plan id. */
  tenants: Record<string, string>;
  freeze(): Promise<void>;
  advance(seconds: number): Promise<void>;
  setUsage(tenant: string, values: Record<string, number>): Promise<void>;
  setPlan(tenant: string, plan: string): Promise<void>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** The fixtures' tenants as a {@link Target} names them: a full-scope key and a tenant id per plan, and the special keys. */
export function targetKeysOf(fixtures: Fixtures): Pick<Target, 'keys' | 'tenants'> {
  const keys: Record<string, string> = {};
  const tenants: Record<string, string> = {};
  for (const t of fixtures.tenants) {
    tenants[t.plan] ??= t.id;
    const full = t.keys.find((k) => !k.revoked && ['ingest', 'read', 'write', 'admin'].every((s) => k.scopes.includes(s)));
    if (full) keys[t.plan] ??= full.key;
    for (const k of t.keys) {
      if (k.revoked) keys.revoked ??= k.key;
      else if (k.scopes.length === 1 && k.scopes[0] === 'ingest') keys.ingestOnly ??= k.key;
      else if (t.projects.find((p) => p.id === k.project_id)?.status === 'archived') keys.archived ??= k.key;
    }
  }
  return { keys: keys as Target['keys'], tenants };
}

let seq = 0;
/** A trace the contract accepts, with a fresh id. */
export function trace(spans = 1): Record<string, unknown> {
  seq += 1;
  const id = `tr_conf${Date.now().toString(36)}${seq}`;
  return {
    trace_id: id,
    name: 'conformance',
    start_time: '2026-03-03T12:00:00Z',
    end_time: '2026-03-03T12:00:01Z',
    spans: Array.from({ length: spans }, (_, i) => ({ span_id: `sp_conf${seq}x${i}`, name: 'llm', kind: 'llm', start_time: '2026-03-03T12:00:00Z' })),
  };
}

export interface Call {
  status: number;
  headers: Headers;
  body: any;
}

export async function call(
  target: Target,
  method: string,
  path: string,
  init: { key?: string | null; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<Call> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.key !== null) headers.authorization = `Bearer ${init.key ?? target.keys.free}`;
  let body: string | Buffer | undefined;
  if (init.raw !== undefined) body = init.raw;
  else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${target.url}${path}`, { method, headers, body: body as BodyInit | undefined });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Parses `"name";q=1;w=2, …` or `"name";r=1;t=2, …` into a map. */
export function structured(value: string | null): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const item of (value ?? '').split(/,\s*/).filter(Boolean)) {
    const [name, ...params] = item.split(';');
    out[JSON.parse(name!)] = Object.fromEntries(params.map((p) => p.split('=')).map(([k, v]) => [k!, Number(v)]));
  }
  return out;
}

/** Checks every rule that ties rate-limit headers and a problem body together. */
export function expectConsistent(r: Call): void {
  const policy = structured(r.headers.get('ratelimit-policy'));
  const state = structured(r.headers.get('ratelimit'));
  expect(Object.keys(state)).toEqual(Object.keys(policy));
  for (const [name, s] of Object.entries(state)) expect(s.r!, name).toBeLessThanOrEqual(policy[name]!.q!);
  const remaining = Number(r.headers.get('x-ratelimit-remaining'));
  const tightest = Math.min(...Object.values(state).map((s) => s.r!));
  expect(remaining).toBe(tightest);
  const legacy = r.headers.get('x-ratelimit-policy')!;
  expect(Object.values(policy).some((p) => `${p.q};w=${p.w}` === legacy)).toBe(true);
  expect(Number(r.headers.get('x-ratelimit-limit'))).toBe(Number(legacy.split(';')[0]));
  if (r.status === 429) {
    const retry = Number(r.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(r.body.retry_after_seconds).toBe(retry);
    expect(r.body.code).toBe('rate_limited');
    expect(remaining).toBe(0);
    for (const name of r.body.violated_policies) {
      expect(state[name]!.r).toBe(0);
      expect(state[name]!.t).toBeLessThanOrEqual(retry);
    }
    // The body describes one of the violated policies (the one that decides Retry-After).
    const described = r.body.violated_policies.filter((n: string) => policy[n]!.q === r.body.limit && policy[n]!.w === r.body.window_seconds);
    expect(described.length).toBeGreaterThan(0);
  }
}

/** How a target is reached: over real sockets, or by fetch interception (MSW), where connection-level cases do not apply. */
export type Transport = 'http' | 'fetch';

/** Registers the suite; `start` builds a fresh target for this file. */
export function conformanceSuite(name: string, start: () => Promise<Target>, transport: Transport = 'http'): void {
  describe(`HTTP conformance: ${name}`, () => {
    let t: Target;
    beforeAll(async () => {
      t = await start();
    });
    afterAll(async () => {
      await t?.close();
    });
    beforeEach(async () => {
      await t.reset();
    });

    it.each(['free', 'starter', 'pro', 'team', 'enterprise'])(
      'on the %s plan admits exactly the smallest q its RateLimit-Policy announces, then 429 with consistent headers, then admits after Retry-After',
      async (plan) => {
        await t.freeze();
        const first = await call(t, 'GET', '/v1/usage', { key: t.keys[plan] });
        expect(first.status).toBe(200);
        const announced = structured(first.headers.get('ratelimit-policy'));
        const q = Math.min(...Object.values(announced).map((p) => p.q!));
        let admitted = 1;
        let refused: Call | undefined;
        while (!refused && admitted <= q + 1) {
          const batch = await Promise.all(Array.from({ length: Math.min(50, q + 1 - admitted + 1) }, () => call(t, 'GET', '/v1/usage', { key: t.keys[plan] })));
          for (const r of batch) {
            if (r.status === 200) admitted += 1;
            else {
              expect(r.status).toBe(429);
              refused ??= r;
            }
          }
        }
        expect(admitted).toBe(q);
        expectConsistent(refused!);
        await t.advance(Number(refused!.headers.get('retry-after')));
        const after = await call(t, 'GET', '/v1/usage', { key: t.keys[plan] });
        expect(after.status).toBe(200);
        expectConsistent(after);
      },
      60_000,
    );

    it('sends both header families on 2xx and 4xx of rate-limited operations, and none on health', async () => {
      const ok = await call(t, 'GET', '/v1/traces');
      const notFound = await call(t, 'GET', '/v1/traces/tr_doesnotexist1');
      for (const r of [ok, notFound]) {
        for (const h of [
          'ratelimit',
          'ratelimit-policy',
          'x-ratelimit-limit',
          'x-ratelimit-remaining',
          'x-ratelimit-reset',
          'x-ratelimit-policy',
          'x-request-id',
        ]) {
          expect(r.headers.get(h), `${r.status} ${h}`).not.toBeNull();
        }
        expectConsistent(r);
      }
      expect(notFound.status).toBe(404);
      const health = await call(t, 'GET', '/v1/health', { key: null });
      expect(health.status).toBe(200);
      expect(health.headers.get('ratelimit')).toBeNull();
      expect(health.headers.get('x-ratelimit-limit')).toBeNull();
    });

    it('refuses ingest past the monthly quota with 402 on free and starter, and bills overage on paid plans', async () => {
      for (const plan of ['free', 'starter']) {
        const limit = t.model.plans.find((p) => p.id === plan)!.quotas.traces!;
        await t.setUsage(t.tenants[plan]!, { traces: limit });
        const r = await call(t, 'POST', '/v1/ingest', { key: t.keys[plan], body: trace() });
        expect(r.status, plan).toBe(402);
        expect(r.body).toMatchObject({ code: 'quota_exceeded', meter: 'traces', limit, used: limit, retryable: false });
        expect(Date.parse(r.body.resets_at)).toBeGreaterThan(Date.now());
        expect(r.headers.get('retry-after')).toBeNull();
      }
      const pro = t.model.plans.find((p) => p.id === 'pro')!;
      await t.setUsage(t.tenants.pro!, { traces: pro.quotas.traces! });
      const paid = await call(t, 'POST', '/v1/ingest', { key: t.keys.pro, body: trace() });
      expect(paid.status).toBe(202);
      const usage = await call(t, 'GET', '/v1/usage', { key: t.keys.pro });
      expect(usage.body.meters.traces).toEqual({ used: pro.quotas.traces! + 1, limit: pro.quotas.traces!, overage: 1 });
    });

    it('gates audit events below the Team plan with 402 plan_upgrade_required and admits after an upgrade', async () => {
      const r = await call(t, 'GET', '/v1/audit/events', { key: t.keys.pro });
      expect(r.status).toBe(402);
      expect(r.body).toMatchObject({ code: 'plan_upgrade_required', required_plan: 'team', current_plan: 'pro' });
      await t.setPlan(t.tenants.pro!, 'team');
      expect((await call(t, 'GET', '/v1/audit/events', { key: t.keys.pro })).status).toBe(200);
    });

    it('answers 403 project_archived to ingest with a key of an archived project', async () => {
      const r = await call(t, 'POST', '/v1/ingest', { key: t.keys.archived, body: trace() });
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ code: 'project_archived', project_id: expect.stringMatching(/^prj_/) });
      expectConsistent(r);
    });

    it.each([
      { given: 'no credentials', key: null, status: 401, code: 'missing_credentials' },
      { given: 'a revoked key', key: 'revoked', status: 401, code: 'invalid_api_key' },
      { given: 'an unknown key', key: 'tl_test_unknown_000000000000000000000', status: 401, code: 'invalid_api_key' },
      { given: 'an ingest-only key reading traces', key: 'ingestOnly', status: 403, code: 'insufficient_scope' },
    ])('refuses $given with $status $code', async ({ key, status, code }) => {
      const k = key === null ? null : (t.keys[key] ?? key);
      const r = await call(t, 'GET', '/v1/traces', { key: k });
      expect(r.status).toBe(status);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(r.body).toMatchObject({ code, status, type: `${t.model.docsBaseUrl}/errors#${code}` });
      expect(r.body.request_id).toBe(r.headers.get('x-request-id'));
    });

    it('answers 409 to a duplicate trace, and per item in a batch', async () => {
      const one = trace();
      expect((await call(t, 'POST', '/v1/ingest', { body: one })).status).toBe(202);
      const again = await call(t, 'POST', '/v1/ingest', { body: one });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ code: 'trace_already_exists', trace_id: one.trace_id });
      const fresh = trace();
      const batch = await call(t, 'POST', '/v1/ingest/batch', { body: { traces: [fresh, one] } });
      expect(batch.status).toBe(202);
      expect(batch.body).toMatchObject({ accepted: 1, rejected: 1 });
      expect(batch.body.results[1]).toMatchObject({ index: 1, status: 'rejected', code: 'trace_already_exists' });
    });

    it('merges OTLP spans into a trace that exists (no 409), ignores a span id sent again, and refuses an archived project with 403', async () => {
      const traceId = `${Date.now().toString(16).padStart(16, '0')}${'ab'.repeat(8)}`;
      const span = (spanId: string, parentSpanId?: string) => ({
        traceId,
        spanId,
        parentSpanId,
        name: `s${spanId.slice(-1)}`,
        startTimeUnixNano: '1772539200120000000',
        endTimeUnixNano: '1772539201870000000',
        droppedEventsCount: 0,
        newerField: true,
      });
      const body = (...spans: unknown[]) => ({
        resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'conf' } }] }, scopeSpans: [{ spans }] }],
      });
      const first = await call(t, 'POST', '/v1/otlp/traces', { key: t.keys.pro, body: body(span('00000000000000a2', '00000000000000a1')) });
      expect([first.status, first.body]).toEqual([200, {}]);
      const second = await call(t, 'POST', '/v1/otlp/traces', {
        key: t.keys.pro,
        body: body(span('00000000000000a1'), span('00000000000000a2', '00000000000000a1')),
      });
      expect([second.status, second.body]).toEqual([200, {}]);
      expectConsistent(second);
      const read = await call(t, 'GET', `/v1/traces/tr_${traceId}`, { key: t.keys.pro });
      expect(read.body).toMatchObject({
        id: `tr_${traceId}`,
        name: 's1',
        span_count: 2,
        start_time: '2026-03-03T12:00:00.120Z',
        end_time: '2026-03-03T12:00:01.870Z',
        duration_ms: 1750,
      });
      expect(read.body.spans.map((s: { span_id: string; parent_span_id?: string }) => [s.span_id, s.parent_span_id])).toEqual([
        ['sp_00000000000000a2', 'sp_00000000000000a1'],
        ['sp_00000000000000a1', undefined],
      ]);
      const archived = await call(t, 'POST', '/v1/otlp/traces', { key: t.keys.archived, body: body(span('00000000000000a3')) });
      expect([archived.status, archived.body.code]).toEqual([403, 'project_archived']);
    });

    it('refuses to archive the last active project with 409', async () => {
      const projects = await call(t, 'GET', '/v1/projects', { key: t.keys.free });
      const id = projects.body.data[0].id;
      const r = await call(t, 'POST', `/v1/projects/${id}/archive`, { key: t.keys.free });
      expect(r.status).toBe(409);
      expect(r.body.code).toBe('cannot_archive_last_project');
    });

    it('replays an Idempotency-Key answer and refuses the key with another body', async () => {
      const body = trace();
      const headers = { 'idempotency-key': `idem-${body.trace_id}` };
      const a = await call(t, 'POST', '/v1/ingest', { body, headers });
      const b = await call(t, 'POST', '/v1/ingest', { body, headers });
      expect([a.status, b.status]).toEqual([202, 202]);
      expect(b.body).toEqual(a.body);
      expect(b.headers.get('idempotent-replayed')).toBe('true');
      const c = await call(t, 'POST', '/v1/ingest', { body: trace(), headers });
      expect(c.status).toBe(409);
      expect(c.body.code).toBe('idempotency_key_reused');
    });

    it('refuses a 6 MB batch with 413 before reading it whole', async () => {
      const raw = Buffer.alloc(6 * 1024 * 1024, 0x20);
      const r = await call(t, 'POST', '/v1/ingest/batch', { raw, headers: { 'content-type': 'application/json' } });
      expect(r.status).toBe(413);
      expect(r.body).toMatchObject({ code: 'payload_too_large', limit: 5 * 1024 * 1024 });
    });

    // A connection-level case: there is no connection under fetch interception.
    it.runIf(transport === 'http')('lets a client that writes its whole 6 MB body before reading read the 413 (lingering close, not a reset)', async () => {
      const { hostname, port } = new URL(t.url);
      const body = Buffer.alloc(6 * 1024 * 1024, 0x20);
      const head = `POST /v1/ingest/batch HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${t.keys.free}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), hostname);
        const received: Buffer[] = [];
        socket.on('error', reject);
        socket.on('connect', () => {
          socket.pause(); // read nothing until the whole body is written, as node-fetch and many proxies do
          socket.write(head);
          socket.write(body, () => {
            socket.resume();
            socket.on('data', (d) => received.push(d));
            socket.on('end', () => resolve(Buffer.concat(received).toString('latin1')));
          });
        });
      });
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toContain('"code":"payload_too_large"');
    });

    it('refuses a batch of 1,001 traces with 400 batch_too_large', async () => {
      const traces = Array.from({ length: 1001 }, () => ({ ...trace(0), spans: [] }));
      const r = await call(t, 'POST', '/v1/ingest/batch', { body: { traces } });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: 'batch_too_large', limit: 1000 });
    });

    it.each([
      { given: 'malformed JSON', raw: '{"trace_id": "tr_abc', type: 'application/json', status: 400, code: 'malformed_json' },
      { given: 'a wrong content type', raw: 'trace_id=tr_abcdef', type: 'text/plain', status: 415, code: 'unsupported_media_type' },
      { given: 'a body that breaks the schema', raw: '{"trace_id":"nope"}', type: 'application/json', status: 422, code: 'validation_failed' },
    ])('answers $given with $status $code and changes nothing', async ({ raw, type, status, code }) => {
      const r = await call(t, 'POST', '/v1/ingest', { raw, headers: { 'content-type': type } });
      expect(r.status).toBe(status);
      expect(r.body.code).toBe(code);
      if (code === 'validation_failed') expect(r.body.errors[0]).toMatchObject({ pointer: expect.any(String), code: expect.any(String) });
      const list = await call(t, 'GET', '/v1/traces');
      expect(list.body.data).toEqual([]);
    });

    it('refuses a second eval rule on the free plan with 402 eval_rules_quota_exceeded', async () => {
      const rule = { name: 'r', evaluator: 'toxicity', sample_rate: 0.5 };
      expect((await call(t, 'POST', '/v1/eval-rules', { body: rule })).status).toBe(201);
      const r = await call(t, 'POST', '/v1/eval-rules', { body: rule });
      expect(r.status).toBe(402);
      expect(r.body.code).toBe('eval_rules_quota_exceeded');
    });

    it('returns what was ingested, newest first, a page at a time with Link rel=next', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const tr = trace(2);
        ids.push(tr.trace_id as string);
        expect((await call(t, 'POST', '/v1/ingest', { key: t.keys.team, body: tr })).status).toBe(202);
      }
      const p1 = await call(t, 'GET', '/v1/traces?limit=2', { key: t.keys.team });
      expect(p1.body.data.map((x: any) => x.id)).toEqual([ids[2], ids[1]]);
      expect(p1.headers.get('link')).toMatch(/rel="next"/);
      const p2 = await call(t, 'GET', `/v1/traces?limit=2&cursor=${p1.body.next_cursor}`, { key: t.keys.team });
      expect(p2.body).toMatchObject({ data: [{ id: ids[0] }], next_cursor: null });
      const one = await call(t, 'GET', `/v1/traces/${ids[0]}`, { key: t.keys.team });
      expect(one.body).toMatchObject({ id: ids[0], span_count: 2 });
      expect(one.body.spans).toHaveLength(2);
      const other = await call(t, 'GET', `/v1/traces/${ids[0]}`, { key: t.keys.pro });
      expect(other.status).toBe(404);
    });
  });
}
