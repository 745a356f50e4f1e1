/**
 * The shared StateStore suite (src/mock/store): every backend gives the same answers. Each
 * `open()` may be another instance on the same state (Redis: another connection), and concurrent
 * calls are spread over two of them. Run by state-store-memory.test.ts and state-store-redis.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyDoc, StateStore, TenantSeed, TraceDoc } from '../../src/mock/store/index.js';

export interface StateHarness {
  open(): Promise<StateStore>;
  close(): Promise<void>;
}

let counter = 0;
/** A tenant id no other test uses (stores are shared between tests). */
const freshTenant = (what: string) => `ten_${what}_${Date.now().toString(36)}${(counter++).toString(36)}`;

const at = '2026-03-03T12:00:00.000Z';
function seedOf(id: string, plan = 'starter'): TenantSeed {
  const key: KeyDoc = {
    id: 'key_a',
    tenantId: id,
    name: 'a',
    scopes: ['read'],
    projectId: 'prj_main',
    revoked: false,
    secret: `tl_test_${id}`,
    prefix: 'tl_test_',
    createdAt: at,
    digest: `d_${id}`,
  };
  return { id, plan, projects: [{ id: 'prj_main', name: 'Main', status: 'active', created_at: at, archived_at: null }], keys: [key] };
}
const trace = (id: string, spans: string[] = []): TraceDoc => ({
  id,
  project_id: 'prj_main',
  name: 'n',
  status: 'unset',
  start_time: at,
  span_count: spans.length,
  created_at: at,
  spans: spans.map((s) => ({ span_id: s, name: s, kind: 'other', start_time: at })),
});
const PROJECT_CAP = { name: 'projects' as const, limits: { free: 1, starter: 3, team: null } };

export function stateStoreSuite(name: string, makeHarness: () => Promise<StateHarness>): void {
  describe(`${name}: shared state store suite`, () => {
    let harness: StateHarness;
    let a: StateStore;
    let b: StateStore;
    const either = (i: number) => (i % 2 ? a : b);

    beforeAll(async () => {
      harness = await makeHarness();
      [a, b] = [await harness.open(), await harness.open()];
    });
    afterAll(() => harness?.close());

    it('seeds a tenant once: a second seed without force keeps what was written since', async () => {
      const t = freshTenant('seed');
      await a.seed(seedOf(t), false);
      expect(await b.insert(t, 'traces', 'tr_1', trace('tr_1'))).toMatchObject({ ok: true });
      await b.seed(seedOf(t), false);
      expect(await a.get(t, 'traces', 'tr_1')).toMatchObject({ id: 'tr_1' });
      expect(await a.plan(t)).toBe('starter');
      expect((await a.capCounts(t)).projects).toBe(1);
      expect((await a.capCounts(t)).api_keys).toBe(1);
    });

    it('reset (seed with force) deletes everything the tenant wrote, answers kept for Idempotency-Keys included', async () => {
      const t = freshTenant('reset');
      await a.seed(seedOf(t), false);
      await a.insert(t, 'traces', 'tr_1', trace('tr_1'));
      await a.setPlan(t, 'team');
      await a.keepAnswer(
        t,
        'op:k1',
        { bodyDigest: 'x', status: 201, body: {}, headers: {}, contentType: 'application/json', expiresAt: Date.now() + 60_000 },
        60_000,
      );
      await b.seed(seedOf(t), true);
      expect(await a.get(t, 'traces', 'tr_1')).toBeNull();
      expect(await a.plan(t)).toBe('starter');
      expect(await a.answer(t, 'op:k1')).toBeNull();
      expect((await a.list(t, 'projects', { order: 'asc', after: null, limit: 10 })).items.map((s) => s.doc.id)).toEqual(['prj_main']);
    });

    it('creates a client-chosen id once: of 12 concurrent inserts of one id through two instances, one succeeds', async () => {
      const t = freshTenant('dup');
      await a.seed(seedOf(t), false);
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => either(i).insert(t, 'traces', 'tr_same', trace('tr_same'))));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok && r.reason === 'exists')).toHaveLength(11);
      expect(await a.count(t, 'traces')).toBe(1);
    });

    it('holds a cap exactly under concurrent creates, by the plan the tenant is on at that moment', async () => {
      const t = freshTenant('cap');
      await a.seed(seedOf(t, 'starter'), false);
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          either(i).insert(t, 'projects', `prj_${i}`, { id: `prj_${i}`, name: 'p', status: 'active', created_at: at, archived_at: null }, { cap: PROJECT_CAP }),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(2);
      expect(results.filter((r) => !r.ok)).toEqual(Array(4).fill({ ok: false, reason: 'capped', limit: 3, used: 3 }));
      expect((await b.capCounts(t)).projects).toBe(3);
      await b.setPlan(t, 'team');
      expect(
        await a.insert(t, 'projects', 'prj_x', { id: 'prj_x', name: 'p', status: 'active', created_at: at, archived_at: null }, { cap: PROJECT_CAP }),
      ).toMatchObject({ ok: true });
    });

    it('gives a unit of a cap back on remove and on an update that releases it, never below 0', async () => {
      const t = freshTenant('release');
      await a.seed(seedOf(t), false);
      expect((await a.capCounts(t)).api_keys).toBe(1);
      await b.update(t, 'keys', 'key_a', (k) => (k.revoked ? undefined : { ...k, revoked: true }), { release: 'api_keys' });
      await b.update(t, 'keys', 'key_a', (k) => (k.revoked ? undefined : { ...k, revoked: true }), { release: 'api_keys' });
      expect((await a.capCounts(t)).api_keys).toBe(0);
      await a.insert(
        t,
        'evalRules',
        'rule_1',
        { id: 'rule_1', name: 'r', evaluator: 'toxicity', sample_rate: 1, enabled: true, created_at: at, updated_at: at } as never,
        { cap: { name: 'eval_rules', limits: {} } },
      );
      expect((await a.capCounts(t)).eval_rules).toBe(1);
      expect(await b.remove(t, 'evalRules', 'rule_1', { release: 'eval_rules' })).toBe(true);
      expect(await b.remove(t, 'evalRules', 'rule_1', { release: 'eval_rules' })).toBe(false);
      expect((await a.capCounts(t)).eval_rules).toBe(0);
    });

    it('updates atomically: 20 concurrent span merges through two instances all land, duplicates ignored', async () => {
      const t = freshTenant('merge');
      await a.seed(seedOf(t), false);
      await a.insert(t, 'traces', 'tr_m', trace('tr_m', ['sp_0']));
      const merge = (span: string) => (doc: TraceDoc) =>
        doc.spans.some((s) => s.span_id === span)
          ? undefined
          : { ...doc, spans: [...doc.spans, { span_id: span, name: span, kind: 'other' as const, start_time: at }], span_count: doc.spans.length + 1 };
      await Promise.all(Array.from({ length: 20 }, (_, i) => either(i).update(t, 'traces', 'tr_m', merge(`sp_${i % 10}`))));
      const doc = (await b.get(t, 'traces', 'tr_m'))!;
      expect(doc.spans.map((s) => s.span_id).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `sp_${i}`).sort());
      expect(doc.span_count).toBe(10);
      expect(await a.update(t, 'traces', 'tr_none', merge('x'))).toBeNull();
    });

    it('pages by cursor, newest first or oldest first, and a cursor stays valid while others insert', async () => {
      const t = freshTenant('page');
      await a.seed(seedOf(t), false);
      for (let i = 0; i < 5; i++) await either(i).insert(t, 'traces', `tr_${i}`, trace(`tr_${i}`));
      const first = await a.list(t, 'traces', { order: 'desc', after: null, limit: 2 });
      expect(first.items.map((s) => s.doc.id)).toEqual(['tr_4', 'tr_3']);
      expect(first.more).toBe(true);
      await Promise.all(Array.from({ length: 4 }, (_, i) => either(i).insert(t, 'traces', `tr_new${i}`, trace(`tr_new${i}`))));
      const second = await b.list(t, 'traces', { order: 'desc', after: first.items.at(-1)!.seq, limit: 2 });
      expect(second.items.map((s) => s.doc.id)).toEqual(['tr_2', 'tr_1']);
      const last = await a.list(t, 'traces', { order: 'desc', after: second.items.at(-1)!.seq, limit: 2 });
      expect([last.items.map((s) => s.doc.id), last.more]).toEqual([['tr_0'], false]);
      const asc = await a.list(t, 'traces', { order: 'asc', after: first.items[0]!.seq, limit: 10 });
      // the four concurrent inserts follow, in the order the store took them (ascending seq)
      expect(asc.items.map((s) => s.doc.id).sort()).toEqual(['tr_new0', 'tr_new1', 'tr_new2', 'tr_new3']);
      expect(asc.items.map((s) => s.seq)).toEqual([...asc.items.map((s) => s.seq)].sort((x, y) => x - y));
    });

    it('keeps only the newest documents of a collection when asked to (the audit log)', async () => {
      const t = freshTenant('keep');
      await a.seed(seedOf(t), false);
      for (let i = 0; i < 5; i++)
        await a.insert(t, 'audit', `aud_${i}`, { id: `aud_${i}`, action: 'x', actor: { type: 'system', id: 's' }, target: 't', occurred_at: at }, { keep: 3 });
      expect((await b.list(t, 'audit', { order: 'asc', after: null, limit: 10 })).items.map((s) => s.doc.id)).toEqual(['aud_2', 'aud_3', 'aud_4']);
      expect(await b.get(t, 'audit', 'aud_0')).toBeNull();
    });

    it('finds the owner of a key created on another instance by its digest', async () => {
      const t = freshTenant('owner');
      await a.seed(seedOf(t), false);
      const key: KeyDoc = { ...seedOf(t).keys[0]!, id: 'key_new', digest: `dig_${t}` };
      await a.insert(t, 'keys', 'key_new', key, { cap: { name: 'api_keys', limits: {} } });
      expect(await b.keyOwner(`dig_${t}`)).toEqual({ tenantId: t, keyId: 'key_new' });
      expect(await b.keyOwner('dig_nobody')).toBeNull();
      await b.touchKey(t, 'key_new', 1234);
      expect(await a.keyUses(t)).toEqual({ key_new: 1234 });
    });

    it('keeps the first answer for an Idempotency-Key; a later one does not replace it', async () => {
      const t = freshTenant('idem');
      await a.seed(seedOf(t), false);
      const answer = (status: number) => ({
        bodyDigest: 'd',
        status,
        body: { n: status },
        headers: { Location: '/x' },
        contentType: 'application/json',
        expiresAt: 1,
      });
      await Promise.all([a.keepAnswer(t, 'op:k', answer(201), 60_000), b.keepAnswer(t, 'op:k', answer(202), 60_000)]);
      const kept = await b.answer(t, 'op:k');
      expect([201, 202]).toContain(kept!.status);
      await a.keepAnswer(t, 'op:k', answer(200), 60_000);
      expect(await a.answer(t, 'op:k')).toEqual(kept);
    });

    it('shares the clock: 10 concurrent advances through two instances all count', async () => {
      await a.updateClock(() => ({ offsetMs: 0, frozenAt: null }));
      await Promise.all(Array.from({ length: 10 }, (_, i) => either(i).updateClock((c) => ({ ...c, offsetMs: c.offsetMs + 1000 }))));
      expect(await b.clock()).toEqual({ offsetMs: 10_000, frozenAt: null });
      await b.updateClock((c) => ({ ...c, frozenAt: 42 }));
      expect(await a.clock()).toEqual({ offsetMs: 10_000, frozenAt: 42 });
      await a.updateClock(() => ({ offsetMs: 0, frozenAt: null }));
    });

    it('answers reads of a tenant without state with nothing, not an error', async () => {
      const t = freshTenant('none');
      expect(await a.plan(t)).toBeNull();
      expect(await a.get(t, 'traces', 'tr_x')).toBeNull();
      expect((await a.list(t, 'traces', { order: 'desc', after: null, limit: 5 })).items).toEqual([]);
      expect((await a.capCounts(t)).projects).toBe(0);
    });
  });
}
