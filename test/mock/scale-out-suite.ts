/**
 * Three mock instances on one shared store, requests sent at once and spread over all three
 * (issue 12): what one instance accepts, every instance serves; ids, caps, Idempotency-Keys, the
 * clock, plans and rate limits hold across them exactly. Run on a redis-server
 * (scale-out-redis.test.ts) and on a three-master Redis Cluster (scale-out-cluster.test.ts).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMock, type MockOptions, type MockServer } from '../../src/mock/index.js';
import { until } from '../support/wait.js';

const TEAM = 'tl_test_team_0000000000000000000000001';
const STARTER = 'tl_test_starter_000000000000000000001';

export interface SharedBackend {
  /** `redisUrl` or `redisCluster` for createMock. */
  options: Pick<MockOptions, 'redisUrl' | 'redisCluster'>;
  dispose(): Promise<void>;
}

export function scaleOutSuite(name: string, start: () => Promise<SharedBackend>): void {
  describe(`three mock instances on ${name}`, () => {
    let backend: SharedBackend;
    let mocks: MockServer[] = [];
    /** The i-th request goes to instance i mod 3. */
    const url = (i: number) => mocks[i % mocks.length]!.url;
    const call = (i: number, path: string, init: { method?: string; key?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
      fetch(`${url(i)}${path}`, {
        method: init.method ?? 'GET',
        headers: {
          ...(init.key ? { authorization: `Bearer ${init.key}` } : {}),
          ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...init.headers,
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      }).then(async (r) => ({ status: r.status, headers: r.headers, body: r.status === 204 ? null : await r.json() }));
    const trace = (id: string) => ({ trace_id: id, name: 'scale-out', start_time: '2026-03-03T12:00:00Z', spans: [] });

    beforeAll(async () => {
      backend = await start();
      const options: MockOptions = { port: 0, log: false, env: {}, ...backend.options, policies: ['default=30/3600s', 'reads=1000/1s'] };
      mocks = await Promise.all([createMock(options), createMock(options), createMock(options)]);
      // createMock waits at most 2 s for the store: on a loaded machine an instance can still be
      // connecting when the first test sends to it. Start once every instance serves its state.
      const serving = async () =>
        (await Promise.all(mocks.map((m) => fetch(`${m.url}/__mock/state`).then(async (r) => (await r.arrayBuffer(), r.status))))).every((s) => s === 200);
      await until(serving, 30_000, 'not every instance served its state from the shared store');
    });
    afterAll(async () => {
      await Promise.all(mocks.map((m) => m.close()));
      await backend?.dispose();
    });
    beforeEach(async () => {
      expect((await call(0, '/__mock/reset', { method: 'POST' })).status).toBe(200);
    });

    it('lists every one of 24 traces sent at once through three instances, on every instance', async () => {
      const ids = Array.from({ length: 24 }, (_, i) => `tr_scale${String(i).padStart(8, '0')}`);
      const sent = await Promise.all(ids.map((id, i) => call(i, '/v1/ingest', { method: 'POST', key: TEAM, body: trace(id) })));
      expect(sent.map((r) => r.status)).toEqual(Array(24).fill(202));
      for (let i = 0; i < 3; i++) {
        const listed = await call(i, '/v1/traces?limit=100', { key: TEAM });
        expect(listed.body.data.map((t: { id: string }) => t.id).sort()).toEqual([...ids].sort());
      }
    });

    it('accepts one trace id sent 6 times at once exactly once: one 202, five 409 trace_already_exists', async () => {
      const sent = await Promise.all(
        Array.from({ length: 6 }, (_, i) => call(i, '/v1/ingest', { method: 'POST', key: TEAM, body: trace('tr_sameid00000001') })),
      );
      expect(sent.filter((r) => r.status === 202)).toHaveLength(1);
      const refused = sent.filter((r) => r.status === 409);
      expect(refused.map((r) => r.body.code)).toEqual(Array(5).fill('trace_already_exists'));
    });

    it('holds the Starter project cap under 6 concurrent creates: two 201, four 402 projects_quota_exceeded', async () => {
      const sent = await Promise.all(Array.from({ length: 6 }, (_, i) => call(i, '/v1/projects', { method: 'POST', key: STARTER, body: { name: `p${i}` } })));
      expect(sent.filter((r) => r.status === 201)).toHaveLength(2);
      const refused = sent.filter((r) => r.status === 402);
      expect(refused.map((r) => [r.body.code, r.body.limit])).toEqual(Array(4).fill(['projects_quota_exceeded', 3]));
      for (let i = 0; i < 3; i++) expect((await call(i, '/v1/projects', { key: STARTER })).body.data).toHaveLength(3);
    });

    it('replays the first answer to an Idempotency-Key through another instance', async () => {
      const headers = { 'idempotency-key': 'idem-scale-out-1' };
      const first = await call(0, '/v1/projects', { method: 'POST', key: TEAM, body: { name: 'once' }, headers });
      const again = await call(1, '/v1/projects', { method: 'POST', key: TEAM, body: { name: 'once' }, headers });
      expect(first.status).toBe(201);
      expect([again.status, again.headers.get('idempotent-replayed'), again.body]).toEqual([201, 'true', first.body]);
      const other = await call(2, '/v1/projects', { method: 'POST', key: TEAM, body: { name: 'different' }, headers });
      expect([other.status, other.body.code]).toEqual([409, 'idempotency_key_reused']);
      expect((await call(2, '/v1/projects', { key: TEAM })).body.data.filter((p: { name: string }) => p.name === 'once')).toHaveLength(1);
    });

    it('moves the clock of every instance when one is told to: freeze through one, advance through another', async () => {
      await call(0, '/__mock/clock', { method: 'POST', body: { freeze: true } });
      const frozen = (await call(1, '/__mock/clock', { method: 'POST', body: { advance_seconds: 86_400 } })).body.clock;
      const seen = await Promise.all([0, 1, 2].map((i) => call(i, '/__mock/state').then((r) => r.body.clock)));
      expect(seen).toEqual([frozen, frozen, frozen]);
      const health = await Promise.all([0, 1, 2].map((i) => call(i, '/v1/health').then((r) => r.body.time)));
      expect(health).toEqual([frozen, frozen, frozen]);
    });

    it('applies a plan change and a project status made through one instance on the others at once', async () => {
      await call(0, '/__mock/tenants/ten_teamco/plan', { method: 'PUT', body: { plan: 'pro' } });
      const gated = await call(1, '/v1/audit/events', { key: TEAM });
      expect([gated.status, gated.body.code, gated.body.current_plan]).toEqual([402, 'plan_upgrade_required', 'pro']);
      await call(2, '/__mock/projects/prj_teammain', { method: 'PUT', body: { status: 'archived' } });
      const refused = await call(0, '/v1/ingest', { method: 'POST', key: TEAM, body: trace('tr_archived000001') });
      expect([refused.status, refused.body.code]).toEqual([403, 'project_archived']);
    });

    it('keeps rate limits exact: 60 reads at once against default=30/1h admit 30', async () => {
      const sent = await Promise.all(Array.from({ length: 60 }, (_, i) => call(i, '/v1/traces?limit=1', { key: TEAM })));
      expect(sent.filter((r) => r.status === 200)).toHaveLength(30);
      expect(sent.filter((r) => r.status === 429)).toHaveLength(30);
    });

    it('authenticates a key created through one instance on the others, and refuses it everywhere once revoked', async () => {
      const created = await call(0, '/v1/api-keys', {
        method: 'POST',
        key: TEAM,
        body: { name: 'k', scopes: ['read'], project_id: 'prj_teammain', environment: 'test' },
      });
      expect(created.status).toBe(201);
      expect((await call(1, '/v1/traces', { key: created.body.secret })).status).toBe(200);
      expect((await call(2, `/v1/api-keys/${created.body.id}`, { method: 'DELETE', key: TEAM })).status).toBe(204);
      expect((await call(1, '/v1/traces', { key: created.body.secret })).body.code).toBe('invalid_api_key');
    });
  });
}
