/**
 * The Rate limits and plans guide: the plans table, the policies and their burst companions,
 * the policies per endpoint, quotas and caps, the headers, and a worked example whose numbers
 * are computed from the model with the header rules of DESIGN §3.4.
 * @module
 */
import type { ContractModel, OperationModel, Plan, RateLimitPolicy } from '../../contract/index.js';
import { block, blocks, bytes, code, count, duration, list, table } from '../format.js';
import { burstCapacity, limitersOf, type Limiter } from '../limits.js';
import { errorLink, errorsWhere, operationLink, planName, type Guide, type GuideContext } from './context.js';

/** An illustrative instant for the worked example's epoch seconds (not contract data). */
const EXAMPLE_NOW_S = Date.UTC(2026, 2, 3, 12, 0, 0) / 1000;

/** Seconds until a limiter that has admitted `used` requests at one instant admits again (`t`). */
function secondsToNext(l: Limiter): number {
  return l.kind === 'bucket' ? Math.max(1, Math.ceil(l.w / l.q - 1e-9)) : l.w;
}

interface Snapshot {
  headers: [string, string][];
  /** The limiter the legacy `X-RateLimit-*` fields describe. */
  mostRestrictive: Limiter;
  retryAfter: number | null;
  violated: Limiter[];
}

/** The headers after `used` requests were admitted at one instant; `refused` adds the refusal of one more. */
function snapshot(limiters: Limiter[], used: number, refused: boolean): Snapshot {
  const state = limiters.map((l) => ({ l, r: Math.max(0, l.q - used), t: secondsToNext(l) }));
  const violated = refused ? state.filter((s) => s.r === 0) : [];
  // The most restrictive: least remaining, then latest reset; the first wins a full tie.
  let m = state[0]!;
  for (const s of state) if (s.r < m.r || (s.r === m.r && s.t > m.t)) m = s;
  const headers: [string, string][] = [
    ['RateLimit-Policy', state.map((s) => `"${s.l.name}";q=${s.l.q};w=${s.l.w}`).join(', ')],
    ['RateLimit', state.map((s) => `"${s.l.name}";r=${s.r};t=${s.t}`).join(', ')],
    ['X-RateLimit-Limit', String(m.l.q)],
    ['X-RateLimit-Remaining', String(m.r)],
    ['X-RateLimit-Reset', String(EXAMPLE_NOW_S + m.t)],
    ['X-RateLimit-Policy', `${m.l.q};w=${m.l.w}`],
  ];
  const retryAfter = violated.length ? Math.max(1, ...violated.map((s) => s.t)) : null;
  if (retryAfter !== null) headers.push(['Retry-After', String(retryAfter)]);
  return { headers, mostRestrictive: m.l, retryAfter, violated: violated.map((s) => s.l) };
}

function plansTable(model: ContractModel): string {
  const plans = model.plans;
  const row = (label: string, f: (p: Plan) => string) => [label, ...plans.map(f)];
  const features = [...new Set(plans.flatMap((p) => p.features))];
  return table(
    ['', ...plans.map((p) => p.name)],
    [
      row('Price per month', (p) => (p.priceUsdMonth === null ? 'on request' : `$${count(p.priceUsdMonth)}`)),
      row('Requests per minute', (p) => count(p.requestsPerMinute)),
      row('Burst', (p) =>
        p.burst
          ? `${count(burstCapacity(p.requestsPerMinute, 60, p.burst.multiplier, p.burst.seconds))} per ${duration(p.burst.seconds)} (${p.burst.multiplier}×)`
          : 'none',
      ),
      ...Object.keys(model.meters).map((meter) => row(`Monthly ${meter.replace(/_/g, ' ')}`, (p) => count(p.quotas[meter] ?? null))),
      ...model.capNames.map((cap) => row(`Max ${cap.replace(/_/g, ' ')}`, (p) => count(p.caps[cap] ?? null))),
      row('Data retention', (p) => (p.retentionDays === null ? 'unlimited' : `${count(p.retentionDays)} days`)),
      row('Past a monthly quota', (p) => (p.overage === 'hard_stop' ? 'refused (hard stop)' : 'admitted, billed as overage')),
      ...features.map((f) => row(`Feature ${code(f)}`, (p) => (p.features.includes(f) ? 'yes' : '—'))),
    ],
  );
}

function policiesTable(model: ContractModel): string {
  const policies = Object.values(model.policies);
  return table(
    ['Policy', 'Counted per', 'Algorithm', 'Window', ...model.plans.map((p) => p.name)],
    policies.map((p) => [
      code(p.name),
      p.scope.replace(/_/g, ' '),
      p.algorithm,
      duration(p.windowSeconds),
      ...model.plans.map((plan) => {
        const l = p.limits[plan.id];
        return l === null || l === undefined ? 'not limited' : count(l);
      }),
    ]),
  );
}

function burstTable(model: ContractModel, bursting: RateLimitPolicy[]): string {
  return table(
    ['Companion', 'Of policy', ...model.plans.map((p) => p.name)],
    bursting.map((p) => [
      code(`${p.name}.burst`),
      code(p.name),
      ...model.plans.map((plan) => {
        const l = p.limits[plan.id];
        const b = p.burst?.[plan.id];
        if (l === null || l === undefined || !b) return 'none';
        return `${count(burstCapacity(l, p.windowSeconds, b.multiplier, b.seconds))} per ${duration(b.seconds)}`;
      }),
    ]),
  );
}

function endpointsTable(ctx: GuideContext): string {
  const { model } = ctx;
  return table(
    ['Endpoint', 'Policies', 'Meters', 'Other limits'],
    model.operations.map((op) => [
      operationLink(ctx, op),
      op.policies.length ? op.policies.map((p) => code(p)).join(', ') : 'none',
      op.quotas.length ? op.quotas.map((q) => `${code(q.meter)}${q.count === 'per_item' ? ' per item' : ''}`).join(', ') : '—',
      [
        op.plan && `${planName(model, op.plan)} plan and up`,
        op.cap && `cap ${code(op.cap)}`,
        op.maxBodyBytes !== null && `body ≤ ${bytes(op.maxBodyBytes)}`,
        op.maxItems && `≤ ${count(op.maxItems.max)} ${op.maxItems.field}`,
      ]
        .filter(Boolean)
        .join('; ') || '—',
    ]),
  );
}

function workedExample(ctx: GuideContext): string | null {
  const { model } = ctx;
  const plan = model.plans[0];
  if (!plan) return null;
  const withBurst = (op: OperationModel) => limitersOf(model, op, plan).some((l) => l.name.endsWith('.burst'));
  const op = model.operations.find(withBurst) ?? model.operations.find((o) => limitersOf(model, o, plan).length > 0);
  if (!op) return null;
  const limiters = limitersOf(model, op, plan);
  const smallest = Math.min(...limiters.map((l) => l.q));
  const first = snapshot(limiters, 1, false);
  const refusal = snapshot(limiters, smallest, true);
  const fmt = (s: Snapshot) => s.headers.map(([k, v]) => `${k}: ${v}`).join('\n');
  const rateLimited = errorsWhere(model, (e) => e.status === 429)[0];
  const bucket = limiters.find((l) => l.kind === 'bucket');
  const binding = refusal.violated[0];
  const body = rateLimited &&
    binding && {
      type: `${model.docsBaseUrl.replace(/\/+$/, '')}/errors#${rateLimited.code}`,
      title: rateLimited.title,
      status: rateLimited.status,
      detail: `${binding.q} requests per ${binding.w} s allowed; retry in ${refusal.retryAfter} s.`,
      instance: op.path,
      code: rateLimited.code,
      retryable: rateLimited.retryable,
      retry_after_seconds: refusal.retryAfter,
      limit: binding.q,
      window_seconds: binding.w,
      reset_at: new Date((EXAMPLE_NOW_S + (refusal.retryAfter ?? 0)) * 1000).toISOString().replace('.000Z', 'Z'),
      violated_policies: refusal.violated.map((l) => l.name),
    };
  return blocks(
    '## Worked example',
    `A new API key on the ${plan.name} plan calls ${operationLink(ctx, op)}, which is limited by ${list(op.policies.map((p) => code(p)))}. ` +
      `At ${new Date(EXAMPLE_NOW_S * 1000).toISOString().replace('.000Z', 'Z')} (${EXAMPLE_NOW_S} in epoch seconds) its first request is answered with:`,
    block('http', fmt(first)),
    `Each limiter announces its quota \`q\` per \`w\` seconds and, after this request, \`r\` remaining and \`t\` seconds until it admits more. ` +
      `The legacy fields describe the most restrictive limiter (fewest remaining, then latest reset), here ${code(first.mostRestrictive.name)}.`,
    `The client then sends ${count(smallest - 1)} more requests at once. They are admitted, and request ${count(smallest + 1)} in the same instant is refused` +
      (rateLimited ? ` with ${rateLimited.status} ${errorLink(ctx, rateLimited.code)}:` : ':'),
    block('http', fmt(refusal)),
    body && block('json', JSON.stringify(body, null, 2)),
    bucket &&
      `The bucket ${code(bucket.name)} frees one request every ${+(bucket.w / bucket.q).toFixed(3)} s, so after the burst the key is paced at that rate, ` +
        `and never beyond ${list(limiters.filter((l) => l.kind === 'window').map((l) => `${count(l.q)} per ${duration(l.w)} (${code(l.name)})`))}. ` +
        'A refused request consumes nothing from any limiter: all policies of a request are checked and consumed together.',
  );
}

export const rateLimits: Guide = {
  slug: 'rate-limits',
  title: 'Rate limits and plans',
  summary:
    'Plans with their rates, bursts, monthly quotas, caps, retention and features; the rate-limit policies of every endpoint; the RateLimit headers with a worked example.',
  body(ctx: GuideContext): string {
    const { model } = ctx;
    const bursting = Object.values(model.policies).filter((p) => p.burst && Object.values(p.burst).some(Boolean));
    const quotaErrors = errorsWhere(model, (e) => e.status === 402);
    const meters = Object.values(model.meters);
    return blocks(
      'Three things bound what a tenant can do: **rate-limit policies** (requests per window, refused with a retryable error), ' +
        '**monthly quotas** on metered usage, and **caps** on owned resources (refused with an error that waiting does not fix). ' +
        'Every number on this page is read from the contract, the same data the mock server, the server stubs and the SDK use.',
      '## Plans',
      plansTable(model),
      '## Policies',
      `A policy counts requests per ${list([...new Set(Object.values(model.policies).map((p) => p.scope.replace(/_/g, ' ')))], 'or')} in a window. ` +
        'An operation lists the policies that apply to it; every listed policy must admit a request, and a refused request consumes none of them.',
      policiesTable(model),
      Object.values(model.policies)
        .map((p) => `- ${code(p.name)}: ${p.description}`)
        .join('\n'),
      bursting.length > 0 && '## Bursts',
      bursting.length > 0 &&
        'A policy with a burst allowance of m× for d seconds has a companion limiter `<policy>.burst`: a token bucket holding ' +
          "C = floor(m × L × d / W) requests (L per W being the policy's limit) that refills evenly over d seconds. " +
          'A client may therefore send C requests at once, then about C per d seconds, and never more than L per W. ' +
          'The companion is announced as its own item in `RateLimit-Policy`.',
      bursting.length > 0 && burstTable(model, bursting),
      '## Policies per endpoint',
      'What each operation is counted against. An operation without policies sends no rate-limit headers; a meter counted per item adds the number of items in the request.',
      endpointsTable(ctx),
      '## Quotas and caps',
      `Meters are counted per tenant per calendar month (UTC): ${list(meters.map((m) => `${code(m.name)} (${m.description.replace(/\.$/, '').toLowerCase()})`))}. ` +
        `On plans that stop at quota (${list(model.plans.filter((p) => p.overage === 'hard_stop').map((p) => p.name)) || 'none'}) a request that would pass a quota is refused; ` +
        'other plans are admitted and billed for the overage. Caps limit how many of a resource a tenant may own at once.',
      quotaErrors.length > 0 &&
        table(
          ['Code', 'Status', 'When'],
          quotaErrors.map((e) => [errorLink(ctx, e.code), String(e.status), e.description]),
        ),
      '## Headers',
      'Every response of a rate-limited operation, success or error, carries two families of headers:',
      [
        '- `RateLimit-Policy` and `RateLimit` (IETF draft-ietf-httpapi-ratelimit-headers-11, §3 and §4): one item per limiter that applies, ' +
          'including burst companions. `q` requests per `w` seconds; `r` remaining and `t` seconds until more quota.',
        '- `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (Unix epoch seconds) and `X-RateLimit-Policy` (`limit;w=window`), ' +
          'for existing clients: they describe the most restrictive limiter only.',
        "- `Retry-After` (seconds) on every 429 and 503, equal to the problem body's `retry_after_seconds`.",
        '- Operations without policies send none of these.',
      ].join('\n'),
      workedExample(ctx),
    );
  },
};
