import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { findRedisServer, startRedisServer, type RedisServer } from '../../bench/lib/redis-server.js';
import { createMock, type MockServer } from '../../src/mock/index.js';
import { requireBinary } from '../support/requires.js';

const KEY = 'tl_test_team_0000000000000000000000001';

describe('two mock instances sharing one redis-server', () => {
  if (!requireBinary(findRedisServer(), 'redis-server', 'apt-get install -y redis-server')) return;
  let redis: RedisServer;
  let a: MockServer;
  let b: MockServer;
  beforeAll(async () => {
    redis = await startRedisServer();
    const options = { port: 0, log: false as const, redisUrl: redis.url, policies: ['default=20/60s', 'reads=1000/1s'] };
    [a, b] = await Promise.all([createMock(options), createMock(options)]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.dispose();
  });

  it('admit exactly the limit between them, and share monthly usage', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => fetch(`${(i % 2 ? a : b).url}/v1/usage`, { headers: { authorization: `Bearer ${KEY}` } }).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30);
    await fetch(`${a.url}/__mock/tenants/ten_teamco/usage`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ traces: 1234 }),
    });
    const state = await (await fetch(`${b.url}/__mock/state`)).json();
    expect(state.tenants.find((t: { id: string }) => t.id === 'ten_teamco').usage.traces).toBe(1234);
  });

  it('share tenant state: what one instance creates or changes, the other serves at once (no replication lag)', async () => {
    await fetch(`${a.url}/__mock/reset`, { method: 'POST' }); // fresh counters: the previous test spent the limit
    const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
    const project = await (await fetch(`${a.url}/v1/projects`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Shared' }) })).json();
    expect(project.id).toMatch(/^prj_/);
    const key = await (
      await fetch(`${a.url}/v1/api-keys`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ name: 'k', scopes: ['read'], project_id: project.id, environment: 'test' }),
      })
    ).json();
    await fetch(`${a.url}/__mock/tenants/ten_teamco/plan`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ plan: 'pro' }),
    });
    const got = await fetch(`${b.url}/v1/projects/${project.id}`, { headers: { authorization: `Bearer ${key.secret}` } });
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ id: project.id, name: 'Shared' });
    const audit = await fetch(`${b.url}/v1/audit/events`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(audit.status).toBe(402);
    expect(await audit.json()).toMatchObject({ code: 'plan_upgrade_required', current_plan: 'pro' });
    await fetch(`${a.url}/__mock/reset`, { method: 'POST' });
    expect((await fetch(`${b.url}/v1/projects/${project.id}`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(404);
  });

  it('answers usage with 503 and Retry-After while redis-server is down, and recovers by itself', async () => {
    await redis.stop();
    try {
      const r = await fetch(`${a.url}/v1/usage`, { headers: { authorization: `Bearer ${KEY}` } });
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(await r.json()).toMatchObject({ code: 'service_unavailable', retryable: true, retry_after_seconds: 1 });
    } finally {
      await redis.start();
    }
    await vi.waitFor(async () => expect((await fetch(`${a.url}/v1/usage`, { headers: { authorization: `Bearer ${KEY}` } })).status).not.toBe(503), {
      timeout: 10_000,
      interval: 250,
    });
  });
});
