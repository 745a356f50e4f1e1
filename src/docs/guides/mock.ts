/**
 * The Using the mock guide: how to start the mock, its test keys (one tenant per plan), how to
 * reach limits by hand, the console, the control API and `Prefer`. Generic where the fixtures (mocks/) decide:
 * the exact keys are printed by the mock itself, so the guide names their pattern only.
 * @module
 */
import { block, blocks, code, count, duration, list, table } from '../format.js';
import { errorLink, errorsWhere, operationLink, planName, type Guide, type GuideContext } from './context.js';

/** The mock's default address (DESIGN §5; it binds 127.0.0.1, which `localhost` may not resolve to first), not contract data. */
const MOCK_URL = 'http://127.0.0.1:4010';

export const mock: Guide = {
  slug: 'mock',
  title: 'Using the mock',
  summary:
    'Run the local mock server: test keys per plan, real rate limits and quotas, --limits dev, --policy overrides, the console at /__mock/, the control API and the Prefer header.',
  body(ctx: GuideContext): string {
    const { model } = ctx;
    const policies = Object.values(model.policies);
    const example = policies[0];
    const firstPlan = model.plans[0];
    const exampleLimit = example && firstPlan ? example.limits[firstPlan.id] : null;
    const listOp = model.operations.find((op) => op.method === 'GET' && op.policies.length > 0 && !op.path.includes('{') && op.plan === null);
    const gated = model.operations.find((op) => op.plan !== null);
    const tooMany = errorsWhere(model, (e) => e.status === 429)[0];
    const meter = Object.keys(model.meters)[0];
    const scopes = [...new Set(model.operations.flatMap((op) => op.security.flatMap((r) => Object.values(r).flat())))];

    return blocks(
      `The mock answers every operation of this contract on ${code(MOCK_URL)} the way production would: the same authentication, ` +
        'rate limits with real headers and countdowns, monthly quotas, plan gates and problem bodies, all read from the contract. ' +
        'Resources you create (traces, projects, eval rules, API keys, feedback) are kept and returned by later reads, per tenant.',
      block('sh', ['npm start            # builds what is missing, then serves the mock and these docs', 'npx traceloom mock   # the mock alone'].join('\n')),
      `It serves these docs too: the reference at ${code(`${MOCK_URL}/docs/`)}, and ${code(`${MOCK_URL}/llms.txt`)} for AI tools.`,
      '## The console',
      `Keep ${code(`${MOCK_URL}/__mock/`)} open next to your app. It shows, live: every tenant with its plan, test keys (with copy buttons) and ` +
        "projects; each meter's usage this month against the plan's quota; each rate-limit policy's remaining requests with a countdown to " +
        'its next unit; the mock clock; and a request log of this instance (method, path, tenant, status, problem `code` and rate-limit ' +
        'headers of every answer, newest first, filterable), pushed as it happens. Its buttons drive the control API below: change a plan, ' +
        'set or exhaust a meter, archive or unarchive a project, advance the clock a minute, an hour or to the next month, freeze it, reset ' +
        'everything. Like the control API it answers on localhost only, and `--no-control` turns it off.',
      gated &&
        `For example: call ${operationLink(ctx, gated, gated.operationId)} with a ${planName(model, model.plans[0]?.id ?? null)} key and watch the refusal ` +
          'appear in the log, pick a higher plan in the tenant\'s "Plan" menu, and call again.',
      '## Test keys',
      `The fixtures hold one tenant per plan, each with keys of the form ${code('tl_test_<plan>_…')}; the startup banner and ` +
        '`GET /__mock/state` list the exact keys, their scopes and projects. There are also an ingest-only key, a revoked key and ' +
        'a tenant with an archived project, so every error path can be reached.',
      table(
        ['Plan', 'Key prefix', 'Requests per minute'],
        model.plans.map((p) => [p.name, code(`tl_test_${p.id}_`), count(p.requestsPerMinute)]),
      ),
      scopes.length > 0 && `Keys carry the scopes ${list(scopes.map((s) => code(s)))}; dev session tokens (JWT) for the dashboard are in the fixtures too.`,
      listOp && block('sh', `curl -i ${MOCK_URL}${listOp.path} \\\n  -H "Authorization: Bearer tl_test_${firstPlan?.id ?? 'free'}_…"`),
      '## Reaching limits by hand',
      `Real limits take long to reach: quotas count a calendar month, and policy windows run up to ${duration(Math.max(0, ...policies.map((p) => p.windowSeconds)))}. Shorten them:`,
      table(
        ['Option', 'Effect'],
        [
          [code('--limits dev'), 'scales windows and limits down, so a person clicking in the dashboard meets a 429 within seconds'],
          [code('--policy NAME=LIMIT/WINDOW'), 'sets one policy to exactly LIMIT requests per WINDOW for every plan and drops its burst (repeatable)'],
          [code('TRACELOOM_POLICY_<NAME>=LIMIT/WINDOW'), 'the same, from the environment'],
          [code('TRACELOOM_RATE_LIMIT_ENABLED=false'), 'turns rate limiting off (quotas and plan gates still apply)'],
        ],
      ),
      example &&
        exampleLimit !== null &&
        exampleLimit !== undefined &&
        blocks(
          `For example, to give every plan the ${firstPlan!.name} plan's ${code(example.name)} limit without its burst:`,
          block('sh', `npx traceloom mock --policy ${example.name}=${exampleLimit}/${example.windowSeconds}s`),
        ),
      `Policies: ${list(policies.map((p) => code(p.name)))}.`,
      '## Control API',
      'Under `/__mock`, answered on localhost only (turn it off with `--no-control`):',
      table(
        ['Request', 'Effect'],
        [
          [code('GET /__mock/'), 'the console (a page for a browser)'],
          [
            code('GET /__mock/state'),
            "tenants with their plan, keys, projects, usage and each rate-limit policy's remaining/limit/reset; the plans; the mock clock",
          ],
          [code('GET /__mock/events'), 'server-sent events: one `request` event per answered request of this instance, a `state` event per change made here'],
          [code('POST /__mock/reset'), 'back to the fixtures: state, usage, rate-limit counters and clock'],
          [code('POST /__mock/clock {"advance_seconds": N}'), 'moves the mock clock forward: windows expire, months roll over'],
          [code('POST /__mock/clock {"freeze": true}'), 'stops the mock clock (`false` lets it run again)'],
          [code(`PUT /__mock/tenants/{id}/usage {"${meter ?? 'meter'}": N}`), 'sets a meter, e.g. to just below a quota'],
          [code('PUT /__mock/tenants/{id}/plan {"plan": "<plan id>"}'), 'moves a tenant to another plan'],
          [code('PUT /__mock/projects/{id} {"status": "archived"}'), 'archives (or re-activates) a project'],
        ],
      ),
      gated &&
        `For example, ${operationLink(ctx, gated, gated.operationId)} needs the ${planName(model, gated.plan)} plan: call it with a key of a lower plan to see the refusal, ` +
          'then move that tenant up with `PUT /__mock/tenants/{id}/plan` and call again.',
      '## Asking for a specific answer',
      "Without a `Prefer` header the mock answers from its state. With one, it answers from the contract's examples, like Prism:",
      table(
        ['Header', 'Answer'],
        [
          [code(`Prefer: code=${tooMany?.status ?? '<status>'}`), 'the documented response with that status'],
          [code(`Prefer: example=${tooMany?.code ?? '<name>'}`), 'the named example (error examples are named after their code)'],
          [code('Prefer: dynamic=true'), 'data generated from the response schema'],
        ],
      ),
      tooMany &&
        `For instance, ${code(`Prefer: code=${tooMany.status}, example=${tooMany.code}`)} returns the example of ${errorLink(ctx, tooMany.code)}. ` +
          'The query parameters `__code`, `__example` and `__dynamic` do the same for clients that cannot set headers.',
    );
  },
};
