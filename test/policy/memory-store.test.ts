import { describe, expect, it } from 'vitest';
import { applyOverrides, decide, MemoryStore } from '../../src/policy/index.js';
import { buildModel, facts, freshTenant, testClock, withAlgorithm } from './fixtures.js';
import { storeSuite } from './store-suite.js';

storeSuite('MemoryStore', async () => {
  // one process, one store: a second "engine" shares the same instance
  const store = new MemoryStore();
  return { open: async () => store, close: () => store.close() };
});

describe('MemoryStore cells cached on the keys arrays', () => {
  for (const algorithm of ['sliding-window', 'sliding-window-counter', 'fixed-window'] as const) {
    it(`${algorithm}: two operations sharing a key share its state again after the sweep dropped it`, async () => {
      const model = applyOverrides(withAlgorithm(buildModel(), 'default', algorithm), { policies: { default: { limit: 5, windowSeconds: 2 } } });
      const store = new MemoryStore({ sweepIntervalMs: 1000 });
      const clock = testClock();
      const tenantId = freshTenant('handle');
      const ingest = facts(model, 'ingestTrace', { tenantId, plan: 'pro' });
      const runEval = facts(model, 'runEval', { tenantId, plan: 'pro' });
      expect((await decide(ingest, model, store, clock)).allowed).toBe(true); // ingest's keys now hold the cell
      clock.advance(10_000); // long expired: the next call sweeps it away
      for (let i = 0; i < 5; i++) expect((await decide(runEval, model, store, clock)).allowed).toBe(true);
      // ingest must see runEval's new state, not the dropped cell it once held
      const d = await decide(ingest, model, store, clock);
      expect(d).toMatchObject({ allowed: false, violated: ['default'] });
    });
  }

  it('keeps two stores apart when they are given the same keys array', async () => {
    const model = applyOverrides(buildModel(), { policies: { default: { limit: 1, windowSeconds: 60 } } });
    const [a, b] = [new MemoryStore(), new MemoryStore()];
    const clock = testClock();
    const f = facts(model, 'ingestTrace', { tenantId: freshTenant('two') });
    expect((await decide(f, model, a, clock)).allowed).toBe(true);
    expect((await decide(f, model, b, clock)).allowed).toBe(true);
    expect((await decide(f, model, a, clock)).allowed).toBe(false);
  });
});
