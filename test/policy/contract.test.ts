/**
 * The policy engine on the bundled contract itself (openapi/), not the hand-built fixture:
 * every operation decides on every plan, and the announced numbers are the contract's.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/contract/index.js';
import type { ContractModel } from '../../src/contract/model.js';
import { decide, MemoryStore, rateLimitHeaders } from '../../src/policy/index.js';
import { testClock } from './fixtures.js';

describe('policy engine on the bundled contract', () => {
  let model: ContractModel;
  beforeAll(async () => {
    model = await loadModel();
  }, 30_000);

  it('decides every operation on every plan, and announces exactly the policies the operation lists', async () => {
    const store = new MemoryStore();
    const clock = testClock();
    for (const operation of model.operations) {
      for (const plan of model.plans) {
        const d = await decide(
          {
            operation,
            plan: plan.id,
            tenantId: `ten_${plan.id}_${operation.operationId}`,
            apiKeyId: `key_${plan.id}_${operation.operationId}`,
            ip: '127.0.0.1',
          },
          model,
          store,
          clock,
        );
        const gated = operation.plan !== null && plan.rank < model.plans.find((p) => p.id === operation.plan)!.rank;
        expect(d.allowed || gated, `${operation.operationId} on ${plan.id}: ${d.code}`).toBe(true);
        const announced = d.perPolicy.map((p) => p.name).filter((n) => !n.endsWith('.burst'));
        const applicable = operation.policies.filter((n) => model.policies[n]!.limits[plan.id] != null);
        expect(announced, operation.operationId).toEqual(applicable);
        if (operation.policies.length === 0) expect(rateLimitHeaders(d)).toEqual({});
      }
    }
  });

  it("announces the free plan's default rate and burst as the contract states them", async () => {
    const operation = model.operations.find((o) => o.policies.join() === 'default')!;
    const d = await decide({ operation, plan: 'free', tenantId: 'ten_free', apiKeyId: 'key_free' }, model, new MemoryStore(), testClock());
    const free = model.plans.find((p) => p.id === 'free')!;
    const burst = free.burst!;
    const capacity = Math.floor((burst.multiplier * free.requestsPerMinute * burst.seconds) / 60);
    expect(rateLimitHeaders(d)['RateLimit-Policy']).toBe(`"default";q=${free.requestsPerMinute};w=60, "default.burst";q=${capacity};w=${burst.seconds}`);
  });
});
