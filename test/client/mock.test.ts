/**
 * The client against the real mock (issue 5): pacing under a small limit, no retry of a 402,
 * and no trace lost or duplicated when the mock injects 500s and connection resets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMock, type MockOptions, type MockServer } from '../../src/mock/index.js';
import { createClient, type ClientOptions } from '../../src/client/index.js';
import { trace } from './server.js';

interface State {
  tenants: { id: string; plan: string; keys: { key: string; scopes: string[]; revoked: boolean }[]; usage: Record<string, number>; traces: number }[];
}

let mock: MockServer | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

async function start(options: MockOptions) {
  mock = await createMock({ port: 0, log: false, env: {}, ...options });
  const state = async () => (await (await fetch(`${mock!.url}/__mock/state`)).json()) as State;
  const tenant = async (plan: string) => (await state()).tenants.find((t) => t.plan === plan)!;
  const keyOf = async (plan: string) => (await tenant(plan)).keys.find((k) => !k.revoked && k.scopes.includes('ingest') && k.scopes.includes('read'))!.key;
  return { url: mock.url, state, tenant, keyOf };
}

/** A client whose every HTTP attempt (retries included) is counted by status. */
function countingClient(options: ClientOptions) {
  const statuses: number[] = [];
  const client = createClient({
    ...options,
    fetch: async (request) => {
      const response = await fetch(request);
      statuses.push(response.status);
      return response;
    },
  });
  return { client, statuses };
}

describe('client against the mock', () => {
  it('delivers every trace exactly once while the mock injects 500s and resets', async () => {
    const m = await start({ chaos: 0.25, rateLimit: false });
    const tenant = await m.tenant('enterprise');
    // maxRetries 10: with a 25% failure rate a batch fails 11 times in a row once in four million.
    const client = createClient({
      apiKey: await m.keyOf('enterprise'),
      baseUrl: m.url,
      maxRetries: 10,
      backoff: { baseMs: 5, maxMs: 50 },
      batch: { maxItems: 20, concurrency: 3 },
    });
    for (let i = 0; i < 400; i++) client.ingest(trace(i + 1_000_000));
    await client.shutdown();
    const after = (await m.state()).tenants.find((t) => t.id === tenant.id)!;
    expect(after.traces - tenant.traces).toBe(400);
    expect(client.stats()).toMatchObject({ rejected: 0, dropped: 0, queued: 0 });
    expect(client.stats().accepted + client.stats().duplicates).toBe(400);
  });

  it('paces itself under `default=5/1s`: 15 concurrent ingests, at most one 429', async () => {
    const m = await start({ policies: ['default=5/1s'] });
    const { client, statuses } = countingClient({ apiKey: await m.keyOf('pro'), baseUrl: m.url });
    const results = await Promise.all(Array.from({ length: 15 }, (_, i) => client.POST('/v1/ingest', { body: trace(i + 2_000_000) })));
    expect(results.map((r) => r.response.status)).toEqual(Array(15).fill(202));
    expect(statuses.filter((s) => s === 429).length).toBeLessThanOrEqual(1);
  });

  it("paces on the plan's burst companion: 400 ingests, 10 at a time, on pro (`default.burst` 333 per 10 s) meet no 429", async () => {
    const m = await start({});
    const { client, statuses } = countingClient({ apiKey: await m.keyOf('pro'), baseUrl: m.url });
    let next = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < 400) await client.POST('/v1/ingest', { body: trace(4_000_000 + next++) });
      }),
    );
    expect(statuses.filter((s) => s === 202)).toHaveLength(400);
    expect(statuses.filter((s) => s === 429)).toEqual([]);
  });

  it('sends a request refused with 402 quota_exceeded exactly once', async () => {
    const m = await start({});
    const free = mock!.model.plans[0]!;
    const tenant = await m.tenant(free.id);
    const quota = free.quotas.traces;
    expect(quota).toBeTypeOf('number');
    await fetch(`${m.url}/__mock/tenants/${tenant.id}/usage`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ traces: quota }),
    });
    const { client, statuses } = countingClient({ apiKey: await m.keyOf(free.id), baseUrl: m.url });
    const { error } = await client.POST('/v1/ingest', { body: trace(3_000_000) });
    expect(error).toMatchObject({ code: 'quota_exceeded' });
    expect(statuses).toEqual([402]);
  });
});
