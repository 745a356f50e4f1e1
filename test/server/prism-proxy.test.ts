/**
 * Prism's validation proxy (`prism proxy`) in front of the server stubs (issue 5): a scripted
 * session of successes and every kind of refusal goes through the proxy, which checks each
 * request and response against the contract and names what breaks it in `sl-violations`.
 * Requests the script breaks on purpose (no credentials, a body missing a required field) may only
 * carry request-side violations; every response must conform.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, trace, type Call, type Target } from '../conformance/suite.js';
import { startPrismProxy, type PrismCli } from '../support/prism-cli.js';
import { serverTarget } from './reference.js';

/** One entry of `sl-violations` (prism-http-server: location prefixed `request` or `response`). */
interface Violation {
  location: string[];
  severity: string;
  code?: string | number;
  message: string;
}

let target: Target;
let prism: PrismCli;
let proxied: Target;

beforeAll(async () => {
  // A small audit limit (per tenant) to reach a 429 without slowing the rest of the session.
  target = await serverTarget({ policies: ['audit=2/60s'] });
  prism = await startPrismProxy(target.url);
  proxied = { ...target, url: prism.url };
}, 60_000);

afterAll(async () => {
  await prism?.close();
  await target?.close();
});

function violations(r: Call): Violation[] {
  const raw = r.headers.get('sl-violations');
  if (!raw) return [];
  if (raw.startsWith('Too many violations!')) throw new Error(`sl-violations overflowed: ${raw.slice(0, 2000)}`);
  return JSON.parse(raw) as Violation[];
}

const describeAll = (vs: Violation[]) => vs.map((v) => `${v.location.join('.')}: ${v.message}`).join('\n');

/** Sends through the proxy, checks the status and that Prism found nothing wrong with the exchange. */
async function step(method: string, path: string, want: number, init: Parameters<typeof call>[3] & { brokenRequest?: boolean } = {}): Promise<Call> {
  const r = await call(proxied, method, path, init);
  const label = `${method} ${path} → ${r.status}`;
  expect(r.status, `${label}: ${JSON.stringify(r.body)}`).toBe(want);
  const found = violations(r);
  const response = found.filter((v) => v.location[0] === 'response');
  expect(describeAll(response), `${label}: the response breaks the contract`).toBe('');
  if (init.brokenRequest) expect(found.length, `${label}: Prism should see the deliberately broken request`).toBeGreaterThan(0);
  else expect(describeAll(found), `${label}: the request breaks the contract`).toBe('');
  return r;
}

describe('prism proxy in front of the server stubs', () => {
  it('reports no violation on a scripted session of successes and refusals', async () => {
    const pro = target.keys.pro!;
    const enterprise = target.keys.enterprise!;

    await step('GET', '/v1/health', 200, { key: null });

    // Ingest, then the same trace again: 409 trace_already_exists.
    const first = trace(2);
    await step('POST', '/v1/ingest', 202, { key: pro, body: first });
    const again = await step('POST', '/v1/ingest', 409, { key: pro, body: first });
    expect(again.body).toMatchObject({ code: 'trace_already_exists' });

    // Idempotent replay, then the same key with another body: 409 idempotency_key_reused.
    const keyed = trace(1);
    await step('POST', '/v1/ingest', 202, { key: pro, body: keyed, headers: { 'idempotency-key': 'prism-proxy-session-1' } });
    await step('POST', '/v1/ingest', 202, { key: pro, body: keyed, headers: { 'idempotency-key': 'prism-proxy-session-1' } });
    const reused = await step('POST', '/v1/ingest', 409, { key: pro, body: trace(1), headers: { 'idempotency-key': 'prism-proxy-session-1' } });
    expect(reused.body).toMatchObject({ code: 'idempotency_key_reused' });

    // A batch with a duplicate inside it and one already ingested: per-item results.
    const a = trace(1);
    const b = trace(0);
    const batch = await step('POST', '/v1/ingest/batch', 202, { key: pro, body: { traces: [a, b, a, first] } });
    expect(batch.body).toMatchObject({ accepted: 2, rejected: 2 });

    // List with pagination, following next_cursor to the end.
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const page: Call = await step('GET', `/v1/traces?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, 200, { key: pro });
      seen.push(...page.body.data.map((t: { id: string }) => t.id));
      cursor = page.body.next_cursor;
      if (!cursor) break;
    }
    expect(seen.sort()).toEqual([first, keyed, a, b].map((t) => t.trace_id as string).sort());

    // Get one, then one that does not exist.
    const got = await step('GET', `/v1/traces/${first.trace_id}`, 200, { key: pro });
    expect(got.body).toMatchObject({ id: first.trace_id });
    await step('GET', '/v1/traces/tr_doesnotexist000001', 404, { key: pro });

    // 401: no credentials (the request breaks the contract's security), a key nobody issued, a revoked key.
    await step('GET', '/v1/traces', 401, { key: null, brokenRequest: true });
    await step('GET', '/v1/traces', 401, { key: 'tl_test_pro_99999999999999999999999999' });
    await step('GET', '/v1/traces', 401, { key: target.keys.revoked });

    // 403: an ingest-only key reading traces; ingest into an archived project.
    await step('GET', '/v1/traces', 403, { key: target.keys.ingestOnly });
    await step('POST', '/v1/ingest', 403, { key: target.keys.archived, body: trace(0) });

    // 402: the free plan at its monthly trace quota; an operation above the plan.
    const free = target.model.plans.find((p) => p.id === 'free')!;
    await target.setUsage(target.tenants.free!, { traces: free.quotas.traces as number });
    const quota = await step('POST', '/v1/ingest', 402, { key: target.keys.free, body: trace(0) });
    expect(quota.body).toMatchObject({ code: 'quota_exceeded' });
    const upgrade = await step('GET', '/v1/audit/events', 402, { key: pro });
    expect(upgrade.body).toMatchObject({ code: 'plan_upgrade_required' });

    // Usage, projects, the last active project (409), eval rules up to the free plan's cap (402).
    await step('GET', '/v1/usage', 200, { key: pro });
    const projects = await step('GET', '/v1/projects', 200, { key: target.keys.free });
    const last = await step('POST', `/v1/projects/${projects.body.data[0].id}/archive`, 409, { key: target.keys.free });
    expect(last.body).toMatchObject({ code: 'cannot_archive_last_project' });
    await step('POST', '/v1/projects/prj_doesnotexist01/archive', 404, { key: target.keys.free });
    const rule = { name: 'toxicity sample', evaluator: 'toxicity', sample_rate: 0.5 };
    await step('POST', '/v1/eval-rules', 201, { key: target.keys.free, body: rule });
    const cap = await step('POST', '/v1/eval-rules', 402, { key: target.keys.free, body: rule });
    expect(cap.body).toMatchObject({ code: 'eval_rules_quota_exceeded' });

    // 413 and 415: a body over the operation's byte limit, a content type it does not take. (The
    // body is valid JSON: Prism 5.16 never answers a JSON-typed body it cannot parse.)
    const huge = { traces: [{ ...trace(0), name: 'x'.repeat(6 * 1024 * 1024) }] };
    const big = await step('POST', '/v1/ingest/batch', 413, { key: pro, body: huge, brokenRequest: true });
    expect(big.body).toMatchObject({ code: 'payload_too_large' });
    const text = await step('POST', '/v1/ingest', 415, { key: pro, raw: 'trace_id=tr_abcdef', headers: { 'content-type': 'text/plain' }, brokenRequest: true });
    expect(text.body).toMatchObject({ code: 'unsupported_media_type' });

    // 400: more traces in a batch than the contract allows.
    const tooMany = await step('POST', '/v1/ingest/batch', 400, {
      key: pro,
      body: { traces: Array.from({ length: 1001 }, () => trace(0)) },
      brokenRequest: true,
    });
    expect(tooMany.body).toMatchObject({ code: 'batch_too_large' });

    // 422: well-formed JSON that breaks the Trace schema (no `name`).
    const { name: _name, ...nameless } = trace(0);
    const invalid = await step('POST', '/v1/ingest', 422, { key: pro, body: nameless, brokenRequest: true });
    expect(invalid.body).toMatchObject({ code: 'validation_failed' });

    // 429: the audit policy (2 per minute per tenant here) exhausted.
    await step('GET', '/v1/audit/events', 200, { key: enterprise });
    await step('GET', '/v1/audit/events', 200, { key: enterprise });
    const limited = await step('GET', '/v1/audit/events', 429, { key: enterprise });
    expect(limited.body).toMatchObject({ code: 'rate_limited' });
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  }, 60_000);

  it('can fail: an upstream whose answer breaks the contract gets a response violation', async () => {
    const bad = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'fine' }));
    });
    await new Promise<void>((resolve) => bad.listen(0, '127.0.0.1', resolve));
    const proxy = await startPrismProxy(`http://127.0.0.1:${(bad.address() as AddressInfo).port}`);
    try {
      const r = await call({ ...target, url: proxy.url }, 'GET', '/v1/health', { key: null });
      expect(
        violations(r)
          .filter((v) => v.location[0] === 'response')
          .map((v) => v.location.join('.')),
      ).toContain('response.body.status');
    } finally {
      await proxy.close();
      bad.close();
    }
  }, 60_000);
});
