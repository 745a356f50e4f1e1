import { describe, expect, it } from 'vitest';
import type { ContractModel, OperationModel } from '../../src/contract/model.js';
import { decide, MemoryStore, rateLimitHeaders, type PolicyStore } from '../../src/policy/index.js';
import { buildModel, facts, freshTenant, op, testClock } from './fixtures.js';

/** A model with one operation behind every gate: plan (starter+), cap (projects), rate limit, quota. */
function gatedModel(): ContractModel {
  const model = buildModel();
  const gated: OperationModel = {
    ...op(model, 'createEvalRule'),
    operationId: 'createGated',
    path: '/v1/gated',
    plan: 'starter',
    cap: 'projects',
    quotas: [{ meter: 'traces', count: 'per_request' }],
  };
  return { ...model, operations: [...model.operations, gated] };
}

/** A store whose every call fails, like a Redis that is down. */
const brokenStore: PolicyStore = {
  evaluate: () => Promise.reject(new Error('connection refused')),
  recordUsage: () => Promise.reject(new Error('connection refused')),
  getUsage: () => Promise.reject(new Error('connection refused')),
  setUsage: () => Promise.reject(new Error('connection refused')),
  reset: () => Promise.reject(new Error('connection refused')),
  close: async () => {},
};

describe('decide: order of the checks', () => {
  // each row breaks every later gate too, so only the order makes the answer
  const cases = [
    {
      given: 'a free tenant (below starter), at the cap, rate-limited and over quota',
      plan: 'free',
      capUsed: 99,
      exhaust: true,
      usage: 50_000,
      want: 'plan_upgrade_required',
    },
    {
      given: 'a starter tenant at its project cap, rate-limited and over quota',
      plan: 'starter',
      capUsed: 3,
      exhaust: true,
      usage: 50_000,
      want: 'projects_quota_exceeded',
    },
    { given: 'a starter tenant under its cap, rate-limited and over quota', plan: 'starter', capUsed: 2, exhaust: true, usage: 50_000, want: 'rate_limited' },
    { given: 'a starter tenant under its cap and rate limit, over quota', plan: 'starter', capUsed: 2, exhaust: false, usage: 50_000, want: 'quota_exceeded' },
    { given: 'a starter tenant under every limit', plan: 'starter', capUsed: 2, exhaust: false, usage: 0, want: null },
  ];
  for (const c of cases) {
    it(`answers ${c.want ?? 'allowed'} for ${c.given}`, async () => {
      const model = gatedModel();
      const store = new MemoryStore();
      const clock = testClock();
      const tenantId = freshTenant();
      const f = facts(model, 'createGated', { tenantId, plan: c.plan, capUsed: c.capUsed, meters: { traces: 1 } });
      await store.setUsage(tenantId, { traces: c.usage }, clock.now());
      if (c.exhaust) {
        const plain = facts(model, 'createEvalRule', { tenantId, plan: c.plan });
        for (let i = 0; i < 200; i++) await decide(plain, model, store, clock);
      }
      const d = await decide(f, model, store, clock);
      expect(d.code).toBe(c.want);
      expect(d.allowed).toBe(c.want === null);
    });
  }

  it('refuses a plan-gated operation with 402 plan_upgrade_required naming both plans, and consumes nothing', async () => {
    const model = buildModel();
    const store = new MemoryStore();
    const clock = testClock();
    const f = facts(model, 'listAuditEvents', { tenantId: freshTenant(), plan: 'pro' });
    const d = await decide(f, model, store, clock);
    expect(d).toMatchObject({ allowed: false, status: 402, code: 'plan_upgrade_required', retryAfter: null, violated: [] });
    expect(d.problem).toMatchObject({ required_plan: 'team', current_plan: 'pro' });
    // the 402 still carries the limiters' state (read, not consumed), so its headers are complete
    expect(d.perPolicy.map((p) => [p.name, p.remaining])).toEqual([
      ['default', 1000],
      ['default.burst', 333],
      ['audit', 30],
    ]);
    expect(rateLimitHeaders(d)['Retry-After']).toBeUndefined();
    const again = await decide(f, model, store, clock);
    expect(again.perPolicy.map((p) => p.remaining)).toEqual([1000, 333, 30]);
  });

  it('refuses a create at the cap with its own code, consuming nothing', async () => {
    const model = buildModel();
    const store = new MemoryStore();
    const clock = testClock();
    const tenantId = freshTenant();
    const cases = [
      { operation: 'createEvalRule', plan: 'free', capUsed: 1, want: 'eval_rules_quota_exceeded', limit: 1 },
      { operation: 'createApiKey', plan: 'starter', capUsed: 5, want: 'api_keys_quota_exceeded', limit: 5 },
    ];
    for (const c of cases) {
      const d = await decide(facts(model, c.operation, { tenantId, plan: c.plan, capUsed: c.capUsed }), model, store, clock);
      expect(d).toMatchObject({ status: 402, code: c.want, problem: { limit: c.limit, used: c.capUsed } });
    }
    const ok = await decide(facts(model, 'createEvalRule', { tenantId, plan: 'team', capUsed: 10_000 }), model, store, clock);
    expect(ok.allowed).toBe(true); // team: unlimited eval rules
    expect(ok.perPolicy[0]).toMatchObject({ name: 'default', remaining: 2999 });
  });
});

describe('decide: which limiters apply', () => {
  it('counts `default` per API key and `reads` per tenant', async () => {
    const model = buildModel();
    const store = new MemoryStore();
    const clock = testClock();
    const tenantId = freshTenant();
    const a = await decide(facts(model, 'listTraces', { tenantId, apiKeyId: 'key_a' }), model, store, clock);
    const b = await decide(facts(model, 'listTraces', { tenantId, apiKeyId: 'key_b' }), model, store, clock);
    expect(a.perPolicy.map((p) => [p.name, p.remaining])).toEqual([
      ['default', 59],
      ['default.burst', 19],
      ['reads', 19],
    ]);
    expect(b.perPolicy.map((p) => [p.name, p.remaining])).toEqual([
      ['default', 59],
      ['default.burst', 19],
      ['reads', 18],
    ]);
  });

  it('counts a session without an API key against the tenant', async () => {
    const model = buildModel();
    const store = new MemoryStore();
    const clock = testClock();
    const tenantId = freshTenant();
    await decide(facts(model, 'ingestTrace', { tenantId, apiKeyId: null }), model, store, clock);
    const d = await decide(facts(model, 'ingestTrace', { tenantId, apiKeyId: null }), model, store, clock);
    expect(d.perPolicy[0]).toMatchObject({ name: 'default', remaining: 58 });
  });

  it('neither applies nor announces a policy whose limit is null (unlimited) on the plan', async () => {
    const model = buildModel();
    model.policies['reads']!.limits['enterprise'] = null;
    const d = await decide(facts(model, 'listTraces', { tenantId: freshTenant(), plan: 'enterprise' }), model, new MemoryStore(), testClock());
    expect(d.perPolicy.map((p) => p.name)).toEqual(['default', 'default.burst']);
    expect(rateLimitHeaders(d)['RateLimit-Policy']).toBe('"default";q=10000;w=60, "default.burst";q=3333;w=10');
  });

  it('sends no rate-limit headers and touches no store for an operation without policies', async () => {
    const model = buildModel();
    const d = await decide(facts(model, 'health', { tenantId: null }), model, brokenStore, testClock());
    expect(d).toMatchObject({ allowed: true, degraded: false, perPolicy: [] });
    expect(rateLimitHeaders(d)).toEqual({});
  });

  it('names the known policies when an operation lists an unknown one', async () => {
    const model = buildModel();
    const bad = { ...op(model, 'ingestTrace'), policies: ['default', 'reeds'] };
    await expect(decide({ ...facts(model, 'ingestTrace'), operation: bad }, model, new MemoryStore(), testClock())).rejects.toThrow(
      /unknown policy `reeds` on POST \/v1\/ingest; known: default, reads, ai, api_key_create, audit, attestation_mint/,
    );
    await expect(decide(facts(model, 'ingestTrace', { plan: 'gold' }), model, new MemoryStore(), testClock())).rejects.toThrow(
      /unknown plan `gold`; known: free, starter/,
    );
  });
});

describe('decide: store failure', () => {
  const model = buildModel();
  it('fail-open admits, marks the decision degraded and announces nothing it does not know', async () => {
    const d = await decide(facts(model, 'ingestTrace', { meters: { traces: 1 } }), model, brokenStore, testClock(), { failMode: 'open' });
    expect(d).toMatchObject({ allowed: true, status: 200, degraded: true, perPolicy: [] });
    expect(rateLimitHeaders(d)).toEqual({});
  });

  it('fail-closed answers 503 service_unavailable with Retry-After, without leaking the cause', async () => {
    const d = await decide(facts(model, 'ingestTrace'), model, brokenStore, testClock(), { failMode: 'closed', failRetryAfterSeconds: 3 });
    expect(d).toMatchObject({ allowed: false, status: 503, code: 'service_unavailable', retryAfter: 3, degraded: true });
    expect(d.problem!.detail).not.toContain('connection refused');
    expect(rateLimitHeaders(d)).toEqual({ 'Retry-After': '3' });
  });

  it('still applies plan gates and caps while the store is down (they need no store)', async () => {
    const d = await decide(facts(model, 'listAuditEvents', { plan: 'free' }), model, brokenStore, testClock(), { failMode: 'open' });
    expect(d).toMatchObject({ status: 402, code: 'plan_upgrade_required', perPolicy: [] });
  });
});

describe('MemoryStore housekeeping', () => {
  it('drops limiter state once its window has passed, so memory does not grow with old keys', async () => {
    const model = buildModel();
    const store = new MemoryStore({ sweepIntervalMs: 1000 });
    const clock = testClock();
    for (let k = 0; k < 500; k++) await decide(facts(model, 'listTraces', { tenantId: `ten_${k}`, apiKeyId: `key_${k}` }), model, store, clock);
    expect(store.size).toBe(1500); // default, default.burst, reads per tenant
    clock.advance(61_000); // past every window (60 s sliding, 10 s bucket, 1 s fixed)
    await decide(facts(model, 'listTraces', { tenantId: 'ten_new' }), model, store, clock);
    expect(store.size).toBe(3);
  });
});
