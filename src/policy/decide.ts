/**
 * `decide`: the policy stage of the request pipeline (DESIGN §4). Pure over its inputs: the
 * facts of the request, the contract model, a store and a clock.
 * @module
 */
import type { ContractModel, MeterName, Plan } from '../contract/model.js';
import type { Later } from '../portable/index.js';
import { compileOperation, type CompiledOperation } from './compile.js';
import { hashTag, monthOf, scopeId, usageKey } from './keys.js';
import { unavailable } from './refusals.js';
import type { Clock, DecideOptions, Decision, EvaluateResult, PolicyState, PolicyStore, ProblemMembers, RequestFacts } from './types.js';

const NO_METERS: readonly MeterName[] = Object.freeze([]);
/** Shared empty list (frozen: a caller that pushes into a Decision's list gets an error, not a leak). */
const NONE = Object.freeze([]) as unknown as string[];

/** ISO 8601 at whole seconds, `2026-03-03T12:01:00Z` (DESIGN §3.3). */
export function isoSeconds(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Whole seconds from `nowMs` until `atMs`, rounded up (never early), at least 0. */
export function secondsUntil(atMs: number, nowMs: number): number {
  return Math.max(0, Math.ceil((atMs - nowMs) / 1000));
}

function statusOf(model: ContractModel, code: string, fallback: number): number {
  return model.errors[code]?.status ?? fallback;
}

/**
 * The error code of an exhausted meter or cap, found in the registry by convention:
 * `<name>_quota_exceeded`, then `<first word>_quota_exceeded` (eval_runs → eval_quota_exceeded),
 * then `quota_exceeded`.
 */
export function quotaCode(model: ContractModel, name: string): string {
  for (const code of [`${name}_quota_exceeded`, `${name.split('_')[0]}_quota_exceeded`]) {
    if (model.errors[code]) return code;
  }
  return 'quota_exceeded';
}

function refusal(model: ContractModel, code: string, fallbackStatus: number, now: number, perPolicy: PolicyState[], members: ProblemMembers): Decision {
  return {
    allowed: false,
    status: statusOf(model, code, fallbackStatus),
    code,
    perPolicy,
    violated: NONE,
    retryAfter: null,
    problem: members,
    degraded: false,
    now,
  };
}

function allowed(now: number, perPolicy: PolicyState[], degraded: boolean): Decision {
  return { allowed: true, status: 200, code: null, perPolicy, violated: NONE, retryAfter: null, problem: null, degraded, now };
}

/** All cached key arrays together stay below this many (tenant, key) pairs (a few MB). */
const KEY_CACHE_MAX = 50_000;
let keyCacheEntries = 0;
const cachingOps = new Set<CompiledOperation>();

/**
 * The store keys of the operation's limiters for this request. Cached on the compiled operation
 * by API key id (tenant id without one): one Map lookup on the hot path, no string building, and
 * the cached strings carry their hash, which makes MemoryStore's lookups cheap. An entry is a hit
 * only when both ids match (the same key id under two tenants just replaces the entry). When the
 * caches of all operations hold KEY_CACHE_MAX entries they are all dropped. Requests with
 * ip-scoped limiters or without a tenant are not cached (an unbounded key space).
 */
function limiterKeys(c: CompiledOperation, facts: RequestFacts): readonly string[] {
  const tenantId = facts.tenantId;
  if (tenantId === null || c.hasIpScope) return buildKeys(c, facts);
  const apiKeyId = facts.apiKeyId ?? '';
  const id = apiKeyId === '' ? tenantId : apiKeyId;
  const hit = c.keyCache.get(id);
  if (hit !== undefined && hit.tenantId === tenantId && hit.apiKeyId === apiKeyId) return hit.keys;
  if (hit === undefined && ++keyCacheEntries > KEY_CACHE_MAX) {
    for (const op of cachingOps) op.keyCache.clear();
    cachingOps.clear();
    keyCacheEntries = 1;
  }
  const keys = buildKeys(c, facts);
  c.keyCache.set(id, { tenantId, apiKeyId, keys });
  cachingOps.add(c);
  return keys;
}

function buildKeys(c: CompiledOperation, facts: RequestFacts): string[] {
  const tag = hashTag(facts.tenantId, facts.ip);
  const keys: string[] = new Array(c.limiters.length);
  for (let i = 0; i < c.limiters.length; i++) {
    const l = c.limiters[i]!;
    keys[i] = tag + l.keyPart + scopeId(l.scope, facts.tenantId, facts.apiKeyId, facts.ip);
  }
  return keys;
}

/** Meters this request adds to that can refuse it: hard-stop plan, finite quota, count > 0. */
function cappedMeters(plan: Plan, facts: RequestFacts): MeterName[] {
  if (plan.overage !== 'hard_stop' || !facts.meters) return NONE;
  let out: MeterName[] | null = null;
  for (const meter in facts.meters) {
    const quota = plan.quotas[meter];
    if (facts.meters[meter]! > 0 && quota !== null && quota !== undefined) (out ??= []).push(meter);
  }
  return out ?? NONE;
}

const SCOPE_PHRASE = { api_key: 'this API key', tenant: 'this account', ip: 'this IP address' } as const;

/** Current state of the operation's limiters without consuming; [] when the store fails. */
async function peek(c: CompiledOperation, facts: RequestFacts, store: PolicyStore, now: number): Promise<PolicyState[]> {
  if (c.limiters.length === 0) return [];
  try {
    const res = await store.evaluate({ now, consume: false, specs: c.limiters, keys: limiterKeys(c, facts), usageKey: null, meters: NO_METERS });
    return res.limiters;
  } catch {
    return [];
  }
}

/**
 * Decide whether a request may proceed. Order (each step has a test named after it):
 * 1. plan gate → 402 `plan_upgrade_required` {required_plan, current_plan}; consumes nothing.
 * 2. cap → 402 `<cap>_quota_exceeded` {limit, used}; consumes nothing.
 * 3. rate limits: every limiter of the operation (burst companions included) is checked and
 *    consumed all-or-nothing in ONE store call; refused → 429 `rate_limited`, `retryAfter` =
 *    the longest wait until every violated limiter admits again.
 * 4. quotas: the same store call read this month's usage; a hard-stop plan that this request
 *    would take past a quota → 402 `quota_exceeded` (`eval_quota_exceeded` for eval runs) with
 *    meter/limit/used/resets_at. The request's rate-limit consumption stands: a refused request
 *    is still a request. Usage itself is added later, by `store.recordUsage`, once it succeeded.
 * A store fault follows `failMode`: open → allowed with `degraded: true`; closed → 503.
 * Refusals at steps 1–2 still report the limiters' current state (a read, no consumption), so
 * every response of a rate-limited operation carries its headers (DESIGN §3.4).
 */
export function decide(facts: RequestFacts, model: ContractModel, store: PolicyStore, clock: Clock, options: DecideOptions = {}): Promise<Decision> {
  try {
    return Promise.resolve(decideNow(facts, model, store, clock, options));
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * {@link decide}, answered at once when the store answers synchronously (MemoryStore): the
 * request pipeline's form, which waits only for a store that makes it wait. Throws what decide rejects with.
 */
export function decideNow(facts: RequestFacts, model: ContractModel, store: PolicyStore, clock: Clock, options: DecideOptions = {}): Later<Decision> {
  const now = clock.now();
  const op = facts.operation;
  const c = compileOperation(model, op, facts.plan);
  const plan = c.plan;

  // 1. Plan gate.
  if (c.requiredPlan !== null && plan.rank < c.requiredPlan.rank) {
    const required = c.requiredPlan;
    return peek(c, facts, store, now).then((states) =>
      refusal(model, 'plan_upgrade_required', 402, now, states, {
        detail: `${op.method.toUpperCase()} ${op.path} requires the ${required.name} plan or higher; this account is on ${plan.name}.`,
        required_plan: required.id,
        current_plan: plan.id,
      }),
    );
  }

  // 2. Cap on owned resources (creates).
  if (op.cap !== null && facts.capUsed !== null && facts.capUsed !== undefined) {
    const cap = plan.caps[op.cap];
    const used = facts.capUsed;
    if (cap !== null && cap !== undefined && used >= cap) {
      const capName = op.cap;
      return peek(c, facts, store, now).then((states) =>
        refusal(model, quotaCode(model, capName), 402, now, states, {
          detail: `The ${plan.name} plan allows ${cap} ${capName.replace(/_/g, ' ')}; ${used} exist. Upgrade the plan or delete one first.`,
          limit: cap,
          used,
        }),
      );
    }
  }

  // 3 + 4. One store call: limiters all-or-nothing, and this month's usage for quota checks.
  const meters = cappedMeters(plan, facts);
  const n = c.limiters.length;
  if (n === 0 && meters.length === 0) return allowed(now, [], false);
  let pending: Later<EvaluateResult>;
  try {
    pending = store.evaluate({
      now,
      consume: true,
      specs: c.limiters,
      keys: n === 0 ? NONE : limiterKeys(c, facts),
      usageKey: meters.length > 0 ? usageKey(facts.tenantId ?? '-', now) : null,
      meters,
    });
  } catch {
    return storeFailure(model, now, options);
  }
  if (typeof (pending as Promise<EvaluateResult>).then === 'function') {
    return (pending as Promise<EvaluateResult>).then(
      (res) => conclude(model, c, facts, meters, now, res),
      () => storeFailure(model, now, options),
    );
  }
  return conclude(model, c, facts, meters, now, pending as EvaluateResult);
}

/** Steps 3 and 4 on the store's answer. */
function conclude(model: ContractModel, c: CompiledOperation, facts: RequestFacts, meters: MeterName[], now: number, res: EvaluateResult): Decision {
  const perPolicy = res.limiters;
  const n = perPolicy.length;

  // 3. Rate limits.
  if (!res.allowed) {
    const violated: string[] = [];
    let binding = -1;
    for (let i = 0; i < n; i++) {
      if (perPolicy[i]!.admitted) continue;
      violated.push(perPolicy[i]!.name);
      if (binding < 0 || perPolicy[i]!.resetAt > perPolicy[binding]!.resetAt) binding = i;
    }
    const b = perPolicy[binding]!;
    const retryAfter = Math.max(1, secondsUntil(b.resetAt, now));
    const burst = b.name.endsWith('.burst') ? ' (burst)' : '';
    return {
      allowed: false,
      status: statusOf(model, 'rate_limited', 429),
      code: 'rate_limited',
      perPolicy,
      violated,
      retryAfter,
      problem: {
        detail: `${b.limit} requests per ${b.windowSeconds} s${burst} allowed for ${SCOPE_PHRASE[c.limiters[binding]!.scope]}; retry in ${retryAfter} s.`,
        retry_after_seconds: retryAfter,
        limit: b.limit,
        window_seconds: b.windowSeconds,
        reset_at: isoSeconds(b.resetAt),
        violated_policies: violated,
      },
      degraded: false,
      now,
    };
  }

  // 4. Quotas (hard-stop plans only; `continue` plans are billed as overage).
  for (let j = 0; j < meters.length; j++) {
    const meter = meters[j]!;
    const limit = c.plan.quotas[meter]!;
    const used = res.usage[j] ?? 0;
    const adds = facts.meters![meter]!;
    if (used + adds > limit) {
      const resetsAt = isoSeconds(monthOf(now).end);
      return refusal(model, quotaCode(model, meter), 402, now, perPolicy, {
        detail: `The ${c.plan.name} plan includes ${limit} ${meter.replace(/_/g, ' ')} per month; ${used} used, this request adds ${adds}. The quota resets at ${resetsAt}.`,
        meter,
        limit,
        used,
        resets_at: resetsAt,
      });
    }
  }
  return allowed(now, perPolicy, false);
}

/** The store failed (the cause stays out of the response body: it is an internal detail). */
function storeFailure(model: ContractModel, now: number, options: DecideOptions): Decision {
  if ((options.failMode ?? 'open') === 'open') return allowed(now, [], true);
  const refusal503 = unavailable('The rate-limit store', options.failRetryAfterSeconds ?? 1);
  const retryAfter = refusal503.members.retry_after_seconds as number;
  return {
    allowed: false,
    status: statusOf(model, 'service_unavailable', 503),
    code: 'service_unavailable',
    perPolicy: [],
    violated: NONE,
    retryAfter,
    problem: refusal503.members,
    degraded: true,
    now,
  };
}
