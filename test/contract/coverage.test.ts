import { describe, expect, it } from 'vitest';
import { contract } from './fixtures.js';

/** DESIGN §3.1: every row's operations. */
const DESIGN_OPERATIONS = [
  'POST /v1/ingest',
  'POST /v1/ingest/batch',
  'POST /v1/otlp/traces',
  'GET /v1/traces',
  'GET /v1/traces/{trace_id}',
  'DELETE /v1/traces/{trace_id}',
  'POST /v1/feedback',
  'POST /v1/evals',
  'GET /v1/evals/{eval_id}',
  'GET /v1/eval-rules',
  'POST /v1/eval-rules',
  'GET /v1/eval-rules/{rule_id}',
  'PATCH /v1/eval-rules/{rule_id}',
  'DELETE /v1/eval-rules/{rule_id}',
  'GET /v1/metrics',
  'GET /v1/projects',
  'POST /v1/projects',
  'GET /v1/projects/{project_id}',
  'PATCH /v1/projects/{project_id}',
  'POST /v1/projects/{project_id}/archive',
  'POST /v1/projects/{project_id}/unarchive',
  'GET /v1/api-keys',
  'POST /v1/api-keys',
  'DELETE /v1/api-keys/{key_id}',
  'GET /v1/usage',
  'GET /v1/audit/events',
  'POST /v1/ai/insights',
  'POST /v1/route-model',
  'POST /v1/attestations',
  'POST /v1/attestations/verify',
  'GET /v1/health',
];

/** DESIGN §3.3: the codes the registry must hold at least. */
const DESIGN_CODES = [
  'invalid_request',
  'malformed_json',
  'batch_too_large',
  'missing_credentials',
  'invalid_api_key',
  'expired_token',
  'plan_upgrade_required',
  'quota_exceeded',
  'eval_quota_exceeded',
  'eval_rules_quota_exceeded',
  'forbidden',
  'insufficient_scope',
  'project_archived',
  'not_found',
  'trace_already_exists',
  'cannot_archive_last_project',
  'idempotency_key_reused',
  'payload_too_large',
  'unsupported_media_type',
  'validation_failed',
  'rate_limited',
  'internal_error',
  'service_unavailable',
];

describe('contract coverage', () => {
  it('has at least 35 operations and every operation of DESIGN §3.1', async () => {
    const { model } = await contract();
    const ops = model.operations.map((o) => `${o.method} ${o.path}`);
    expect(ops.length).toBeGreaterThanOrEqual(35);
    expect(DESIGN_OPERATIONS.filter((o) => !ops.includes(o))).toEqual([]);
    expect(new Set(model.operations.map((o) => o.operationId)).size).toBe(ops.length);
  });

  it('has five plans in order, at least six policies and every DESIGN §3.3 error code', async () => {
    const { model } = await contract();
    expect(model.plans.map((p) => p.id)).toEqual(['free', 'starter', 'pro', 'team', 'enterprise']);
    expect(Object.keys(model.policies)).toEqual(expect.arrayContaining(['default', 'reads', 'ai', 'api_key_create', 'audit', 'attestation_mint']));
    expect(DESIGN_CODES.filter((c) => !model.errors[c])).toEqual([]);
    for (const [code, e] of Object.entries(model.errors)) expect(e.retryable, code).toBe([429, 500, 503].includes(e.status));
  });

  it('rate-limits everything but health and attestation verification', async () => {
    const { model } = await contract();
    const unlimited = model.operations.filter((o) => o.policies.length === 0).map((o) => o.operationId);
    expect(unlimited.sort()).toEqual(['getHealth', 'verifyAttestation']);
    for (const op of model.operations.filter((o) => o.policies.length > 0)) expect(op.policies[0], op.operationId).toBe('default');
  });

  it('plans grow monotonically: a higher plan never has a lower rate, quota or cap', async () => {
    const { model } = await contract();
    const le = (a: number | null, b: number | null) => b === null || (a !== null && a <= b);
    for (let i = 1; i < model.plans.length; i++) {
      const [lo, hi] = [model.plans[i - 1]!, model.plans[i]!];
      expect(lo.requestsPerMinute <= hi.requestsPerMinute, `${lo.id} → ${hi.id} rate`).toBe(true);
      for (const m of Object.keys(lo.quotas)) expect(le(lo.quotas[m]!, hi.quotas[m]!), `${lo.id} → ${hi.id} ${m}`).toBe(true);
      for (const c of model.capNames) expect(le(lo.caps[c]!, hi.caps[c]!), `${lo.id} → ${hi.id} ${c}`).toBe(true);
    }
  });
});
