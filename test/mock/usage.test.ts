/**
 * `GET /v1/usage` answers a tenant's kept body again while nothing it shows has changed
 * (src/mock/resources/usage.ts); each input it shows — meters, plan, cap counts, the month — moves
 * it on the next request.
 */
import { describe, expect, it } from 'vitest';
import { createFetchMock } from '../../src/msw/engine.js';

const KEY = 'tl_test_starter_000000000000000000001';

describe('GET /v1/usage', () => {
  const mock = createFetchMock({ rateLimit: false });
  const call = (path: string, init: RequestInit = {}) =>
    mock.fetch(
      new Request(`https://api.test${path}`, {
        ...init,
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
      }),
    );
  const usage = async () => (await call('/v1/usage')).json();

  it('shows each change on the next request: meters, plan, caps, month', async () => {
    const first = await usage();
    expect(await usage()).toEqual(first);
    const tenant = first.tenant_id as string;

    await mock.control.setUsage(tenant, { traces: 42 });
    const metered = await usage();
    expect(metered.meters.traces.used).toBe(42);

    await mock.control.setPlan(tenant, 'team');
    const upgraded = await usage();
    expect(upgraded.plan).toBe('team');
    expect(upgraded.meters.traces.used).toBe(42);

    const created = await call('/v1/projects', { method: 'POST', body: JSON.stringify({ name: 'usage test' }) });
    expect(created.status).toBe(201);
    expect((await usage()).caps.projects.count).toBe(upgraded.caps.projects.count + 1);

    await mock.control.clock({ advanceSeconds: 40 * 24 * 3600 });
    const later = await usage();
    expect(later.period_start).not.toBe(first.period_start);
    expect(later.meters.traces.used).toBe(0);
  });
});
