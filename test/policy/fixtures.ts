/**
 * A ContractModel with the planned contract numbers (openapi/traceloom.yaml), built by hand so
 * the policy tests do not depend on the loader; plus a settable clock and request facts.
 */
import type { Burst, ContractModel, ErrorDef, OperationModel, Plan, RateLimitPolicy } from '../../src/contract/model.js';
import { decide, MemoryStore, type Clock, type Decision, type RequestFacts } from '../../src/policy/index.js';

const PLAN_IDS = ['free', 'starter', 'pro', 'team', 'enterprise'] as const;
type PlanKey = (typeof PLAN_IDS)[number];

function perPlan<T>(values: readonly T[]): Record<PlanKey, T> {
  return Object.fromEntries(PLAN_IDS.map((id, i) => [id, values[i]!])) as Record<PlanKey, T>;
}

const RPM = [60, 300, 1000, 3000, 10000];
const BURST: Burst = { multiplier: 2, seconds: 10 };

function plan(i: number, overage: Plan['overage'], quotas: Plan['quotas'], caps: Plan['caps'], features: string[]): Plan {
  const id = PLAN_IDS[i]!;
  return {
    id,
    name: id[0]!.toUpperCase() + id.slice(1),
    rank: i,
    priceUsdMonth: [0, 29, 99, 299, null][i]!,
    requestsPerMinute: RPM[i]!,
    burst: BURST,
    quotas,
    caps,
    retentionDays: [7, 30, 60, 90, null][i]!,
    overage,
    features,
  };
}

function policy(
  name: string,
  scope: RateLimitPolicy['scope'],
  algorithm: RateLimitPolicy['algorithm'],
  windowSeconds: number,
  limits: Record<string, number | null>,
  burst: RateLimitPolicy['burst'] = null,
): RateLimitPolicy {
  return { name, description: `${name} policy`, scope, algorithm, windowSeconds, limits, burst };
}

const ERRORS: [string, number, string, boolean][] = [
  ['invalid_request', 400, 'Invalid request', false],
  ['plan_upgrade_required', 402, 'Plan upgrade required', false],
  ['quota_exceeded', 402, 'Monthly quota exceeded', false],
  ['eval_quota_exceeded', 402, 'Monthly eval quota exceeded', false],
  ['eval_rules_quota_exceeded', 402, 'Eval rule cap reached', false],
  ['projects_quota_exceeded', 402, 'Project cap reached', false],
  ['api_keys_quota_exceeded', 402, 'API key cap reached', false],
  ['rate_limited', 429, 'Rate limit exceeded', true],
  ['service_unavailable', 503, 'Service unavailable', true],
];

function operation(operationId: string, method: string, path: string, policies: string[], extra: Partial<OperationModel> = {}): OperationModel {
  return {
    operationId,
    method,
    path,
    tag: 'Test',
    summary: operationId,
    policies,
    quotas: [],
    cap: null,
    plan: null,
    maxBodyBytes: null,
    maxItems: null,
    security: [{ ApiKey: [] }],
    errorCodes: [],
    deprecated: false,
    requestContentTypes: [],
    contentEncodings: [],
    ...extra,
  };
}

/** The planned contract: five plans, six policies, three meters, the 402/429/503 codes. */
export function buildModel(): ContractModel {
  const unlimited = null;
  return {
    title: 'Traceloom API',
    version: '1.0.0',
    docsBaseUrl: 'https://docs.traceloom.dev',
    plans: [
      plan(0, 'hard_stop', { traces: 10_000, spans: 100_000, eval_runs: 500 }, { eval_rules: 1, projects: 1, api_keys: 2, seats: 1 }, []),
      plan(1, 'hard_stop', { traces: 50_000, spans: 500_000, eval_runs: 5000 }, { eval_rules: 3, projects: 3, api_keys: 5, seats: 3 }, []),
      plan(2, 'continue', { traces: 1_000_000, spans: 10_000_000, eval_runs: 50_000 }, { eval_rules: 50, projects: 10, api_keys: 20, seats: 10 }, [
        'ai_insights',
      ]),
      plan(3, 'continue', { traces: 5_000_000, spans: 50_000_000, eval_runs: 200_000 }, { eval_rules: unlimited, projects: 50, api_keys: 100, seats: 50 }, [
        'audit_logs',
      ]),
      plan(
        4,
        'continue',
        { traces: unlimited, spans: unlimited, eval_runs: unlimited },
        { eval_rules: unlimited, projects: unlimited, api_keys: unlimited, seats: unlimited },
        ['audit_logs', 'sso'],
      ),
    ],
    policies: {
      default: policy('default', 'api_key', 'sliding-window', 60, perPlan(RPM), perPlan(PLAN_IDS.map(() => BURST))),
      reads: policy('reads', 'tenant', 'fixed-window', 1, perPlan([20, 60, 600, 1000, 2000])),
      ai: policy('ai', 'tenant', 'sliding-window', 3600, perPlan(PLAN_IDS.map(() => 20))),
      api_key_create: policy('api_key_create', 'tenant', 'fixed-window', 86_400, perPlan(PLAN_IDS.map(() => 20))),
      audit: policy('audit', 'tenant', 'sliding-window', 60, perPlan(PLAN_IDS.map(() => 30))),
      attestation_mint: policy('attestation_mint', 'api_key', 'sliding-window', 60, perPlan(PLAN_IDS.map(() => 100))),
    },
    meters: {
      traces: { name: 'traces', description: 'traces', period: 'calendar_month' },
      spans: { name: 'spans', description: 'spans', period: 'calendar_month' },
      eval_runs: { name: 'eval_runs', description: 'eval runs', period: 'calendar_month' },
    },
    capNames: ['eval_rules', 'projects', 'api_keys', 'seats'],
    errors: Object.fromEntries(
      ERRORS.map(([code, status, title, retryable]): [string, ErrorDef] => [code, { code, status, title, retryable, description: `${title}.` }]),
    ),
    operations: [
      operation('ingestTrace', 'post', '/v1/ingest', ['default'], {
        quotas: [
          { meter: 'traces', count: 'per_request' },
          { meter: 'spans', count: 'per_item', items: 'spans' },
        ],
      }),
      operation('listTraces', 'get', '/v1/traces', ['default', 'reads']),
      operation('getTrace', 'get', '/v1/traces/{trace_id}', ['default', 'reads']),
      operation('runEval', 'post', '/v1/evals', ['default'], { quotas: [{ meter: 'eval_runs', count: 'per_request' }] }),
      operation('createEvalRule', 'post', '/v1/eval-rules', ['default'], { cap: 'eval_rules' }),
      operation('createApiKey', 'post', '/v1/api-keys', ['default', 'api_key_create'], { cap: 'api_keys' }),
      operation('listAuditEvents', 'get', '/v1/audit/events', ['default', 'audit'], { plan: 'team' }),
      operation('createInsight', 'post', '/v1/ai/insights', ['default', 'ai'], { plan: 'pro' }),
      operation('mintAttestation', 'post', '/v1/attestations', ['default', 'attestation_mint']),
      operation('health', 'get', '/v1/health', [], { security: [] }),
    ],
  };
}

/** The operation with that id (throws on a typo). */
export function op(model: ContractModel, operationId: string): OperationModel {
  const found = model.operations.find((o) => o.operationId === operationId);
  if (!found) throw new Error(`no operation ${operationId} in the fixture model`);
  return found;
}

/** A clock the test moves by hand. */
export interface TestClock extends Clock {
  set(ms: number | string): void;
  advance(ms: number): void;
}

export function testClock(start: number | string = '2026-03-03T12:00:00Z'): TestClock {
  let t = typeof start === 'string' ? Date.parse(start) : start;
  return {
    now: () => t,
    set(ms) {
      t = typeof ms === 'string' ? Date.parse(ms) : ms;
    },
    advance(ms) {
      t += ms;
    },
  };
}

/** A clock that reads another clock plus a fixed offset (an instance with a skewed clock). */
export function skewed(clock: Clock, offsetMs: number): Clock {
  return { now: () => clock.now() + offsetMs };
}

/** Facts for one request; every test tenant gets its own id so tests never share state. */
export function facts(model: ContractModel, operationId: string, overrides: Partial<RequestFacts> = {}): RequestFacts {
  return { operation: op(model, operationId), plan: 'free', tenantId: 'ten_1', apiKeyId: 'key_1', ip: '127.0.0.1', ...overrides };
}

/** The decisions `all` get when each is decided after the one before, on a fresh MemoryStore: what a batch must match. */
export async function decidedInSequence(all: readonly RequestFacts[], model: ContractModel, clock: Clock): Promise<Decision[]> {
  const memory = new MemoryStore();
  const out: Decision[] = [];
  for (const f of all) out.push(await decide(f, model, memory, clock));
  return out;
}

let seq = 0;
/** A fresh tenant id per call, so tests against a shared store never see each other's state. */
export function freshTenant(label = 't'): string {
  return `ten_${label}_${process.pid}_${++seq}`;
}

/** The model with policy `name` switched to another algorithm (everything else unchanged). */
export function withAlgorithm(model: ContractModel, name: string, algorithm: RateLimitPolicy['algorithm']): ContractModel {
  const policy = model.policies[name];
  if (!policy) throw new Error(`no policy ${name} in the model`);
  return { ...model, policies: { ...model.policies, [name]: { ...policy, algorithm } } };
}

/** The most admissions in any window of `windowMs` (half-open) among sorted admission times. */
export function maxInAnyWindow(admittedAt: readonly number[], windowMs: number): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < admittedAt.length; hi++) {
    while (admittedAt[hi]! - admittedAt[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** The most admissions in one aligned window `[k·W, (k+1)·W)`. */
export function maxInAlignedWindow(admittedAt: readonly number[], windowMs: number): number {
  const counts = new Map<number, number>();
  for (const t of admittedAt) counts.set(Math.floor(t / windowMs), (counts.get(Math.floor(t / windowMs)) ?? 0) + 1);
  return Math.max(0, ...counts.values());
}
