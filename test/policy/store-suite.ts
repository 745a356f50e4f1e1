/**
 * The shared store suite: every store backend must give the same answers, through `decide`,
 * on the behaviours the product promises (DESIGN §4). Run by memory-store.test.ts and
 * redis-store.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyOverrides, decide, problem, rateLimitHeaders, type Clock, type Decision, type PolicyStore, type RequestFacts } from '../../src/policy/index.js';
import type { ContractModel } from '../../src/contract/model.js';
import { SLIDING_COUNTER_ERROR_BOUND } from '../../src/policy/counter.js';
import { buildModel, facts, freshTenant, maxInAlignedWindow, maxInAnyWindow, skewed, testClock, withAlgorithm, type TestClock } from './fixtures.js';

export interface StoreHarness {
  /** A store over the shared state; each call may be another instance (another engine). */
  open(): Promise<PolicyStore>;
  /** Close everything opened. */
  close(): Promise<void>;
}

function byName(d: Decision, name: string) {
  const s = d.perPolicy.find((p) => p.name === name);
  if (!s) throw new Error(`no ${name} in ${d.perPolicy.map((p) => p.name).join(', ')}`);
  return s;
}

/** Sends `count` requests one after another; returns the decisions. */
async function send(n: number, f: RequestFacts, model: ContractModel, store: PolicyStore, clock: Clock): Promise<Decision[]> {
  const out: Decision[] = [];
  for (let i = 0; i < n; i++) out.push(await decide(f, model, store, clock));
  return out;
}

const allowedCount = (ds: Decision[]) => ds.filter((d) => d.allowed).length;

export function storeSuite(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`${name}: shared store suite`, () => {
    let harness: StoreHarness;
    let store: PolicyStore;
    const base = buildModel();

    beforeAll(async () => {
      harness = await makeHarness();
      store = await harness.open();
    });
    afterAll(async () => {
      await harness?.close();
    });

    describe('admits exactly 100 of 200 concurrent decisions against a limit of 100, from two engine instances', () => {
      for (const algorithm of ['sliding-window', 'sliding-window-counter', 'fixed-window'] as const) {
        it(algorithm, async () => {
          const model = applyOverrides(withAlgorithm(base, 'default', algorithm), { policies: { default: { limit: 100, windowSeconds: 60 } } });
          const other = await harness.open();
          const clock = testClock();
          const f = facts(model, 'ingestTrace', { tenantId: freshTenant('conc'), plan: 'pro' });
          const decisions = await Promise.all(Array.from({ length: 200 }, (_, i) => decide(f, model, i % 2 ? store : other, clock)));
          const admitted = decisions.filter((d) => d.allowed);
          expect(admitted).toHaveLength(100);
          // every admitted request saw a distinct remaining count: the store serialised them
          expect(new Set(admitted.map((d) => byName(d, 'default').remaining))).toEqual(new Set(Array.from({ length: 100 }, (_, i) => i)));
          expect(decisions.filter((d) => !d.allowed).every((d) => d.status === 429 && d.violated.join() === 'default')).toBe(true);
        });
      }
    });

    describe('window edges', () => {
      const cases: { name: string; model: () => ContractModel; operation: string; steps: { at: number; send: number; want: number }[] }[] = [
        {
          name: 'fixed window `reads` (20/s on free) refuses until the next second starts, then admits 20 again',
          model: () => applyOverrides(base, { policies: { default: { limit: 1000, windowSeconds: 60 } } }),
          operation: 'listTraces',
          steps: [
            { at: 0, send: 25, want: 20 },
            { at: 999, send: 1, want: 0 },
            { at: 1000, send: 25, want: 20 },
          ],
        },
        {
          name: 'sliding log `default=20/2s` admits exactly 20 in any 2 s',
          model: () => applyOverrides(base, { policies: { default: { limit: 20, windowSeconds: 2 } } }),
          operation: 'ingestTrace',
          steps: [
            { at: 0, send: 10, want: 10 },
            { at: 1000, send: 15, want: 10 },
            { at: 1999, send: 5, want: 0 },
            { at: 2000, send: 15, want: 10 },
            { at: 2999, send: 1, want: 0 },
            { at: 3000, send: 15, want: 10 },
          ],
        },
        {
          // the previous window's 20 weigh (2000 − e)/2000 each: one more slot every 100 ms
          name: 'sliding-window counter `default=20/2s` weighs the previous window by its overlap',
          model: () => applyOverrides(withAlgorithm(base, 'default', 'sliding-window-counter'), { policies: { default: { limit: 20, windowSeconds: 2 } } }),
          operation: 'ingestTrace',
          steps: [
            { at: 0, send: 25, want: 20 },
            { at: 1999, send: 1, want: 0 },
            { at: 2000, send: 5, want: 0 },
            { at: 2099, send: 5, want: 0 },
            { at: 2100, send: 5, want: 1 },
            { at: 3000, send: 15, want: 9 },
            { at: 3999, send: 15, want: 9 },
            { at: 4000, send: 5, want: 1 },
          ],
        },
      ];
      for (const c of cases) {
        it(c.name, async () => {
          const model = c.model();
          const clock = testClock(Date.parse('2026-03-03T12:00:00Z'));
          const t0 = clock.now();
          const f = facts(model, c.operation, { tenantId: freshTenant('edge') });
          for (const step of c.steps) {
            clock.set(t0 + step.at);
            expect(allowedCount(await send(step.send, f, model, store, clock)), `at +${step.at} ms`).toBe(step.want);
          }
        });
      }
    });

    describe(`sliding-window-counter admits at most limit × (1 + bound) in any window (bound ${SLIDING_COUNTER_ERROR_BOUND}: at most 2L − 1), and at most L per aligned window`, () => {
      const L = 10;
      const W = 10_000;
      const model = applyOverrides(withAlgorithm(base, 'default', 'sliding-window-counter'), { policies: { default: { limit: L, windowSeconds: W / 1000 } } });
      let seed = 7;
      const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
      const cases: { name: string; arrivals: () => number[]; wantMax?: number }[] = [
        {
          // the worst case: the previous window's L all at its last millisecond, then a request every 10 ms
          name: 'previous window full at its very end (the worst case: exactly 2L − 1)',
          arrivals: () => [...Array.from({ length: L }, () => W - 1), ...Array.from({ length: 2_000 }, (_, i) => W + i * 10)],
          wantMax: 2 * L - 1,
        },
        {
          name: 'a steady flood, a request every 50 ms for a minute',
          arrivals: () => Array.from({ length: 1_200 }, (_, i) => i * 50),
        },
        {
          name: 'random bursts over a minute',
          arrivals: () => Array.from({ length: 600 }, () => Math.floor(random() * 60_000)).sort((a, b) => a - b),
        },
      ];
      for (const c of cases) {
        it(c.name, async () => {
          const clock = testClock(Date.parse('2026-03-03T12:00:00Z'));
          const t0 = clock.now(); // aligned to the 10 s windows
          const f = facts(model, 'ingestTrace', { tenantId: freshTenant('bound') });
          const admittedAt: number[] = [];
          for (const at of c.arrivals()) {
            clock.set(t0 + at);
            if ((await decide(f, model, store, clock)).allowed) admittedAt.push(at);
          }
          const most = maxInAnyWindow(admittedAt, W);
          expect(most).toBeLessThan(L * (1 + SLIDING_COUNTER_ERROR_BOUND));
          expect(maxInAlignedWindow(admittedAt, W)).toBeLessThanOrEqual(L);
          if (c.wantMax !== undefined) expect(most).toBe(c.wantMax);
        });
      }
    });

    it('lets a free-plan flood through 20 at once (2× burst for 10 s), then 429 with a short Retry-After', async () => {
      const clock = testClock();
      const f = facts(base, 'ingestTrace', { tenantId: freshTenant('burst'), plan: 'free' });
      const first = await send(25, f, base, store, clock);
      expect(allowedCount(first)).toBe(20);
      const refused = first[20]!;
      expect(refused).toMatchObject({ status: 429, code: 'rate_limited', violated: ['default.burst'], retryAfter: 1 });
      expect(rateLimitHeaders(refused)['RateLimit-Policy']).toBe('"default";q=60;w=60, "default.burst";q=20;w=10');
      // the bucket refills at 2 per second: one more after 500 ms
      clock.advance(500);
      expect(allowedCount(await send(3, f, base, store, clock))).toBe(1);
    });

    it('holds a free plan flooded at 10/s to 60 per minute (sliding) and to the bucket bound (20 + 2/s) per 10 s', async () => {
      const clock = testClock();
      const t0 = clock.now();
      const f = facts(base, 'ingestTrace', { tenantId: freshTenant('flood'), plan: 'free' });
      const admittedAt: number[] = [];
      for (let t = 0; t < 90_000; t += 100) {
        clock.set(t0 + t);
        if ((await decide(f, base, store, clock)).allowed) admittedAt.push(t);
      }
      const maxIn = (w: number) => Math.max(...admittedAt.map((s) => admittedAt.filter((x) => x >= s && x < s + w).length));
      expect(maxIn(60_000)).toBe(60);
      // a bucket of 20 refilled at 2/s admits at most 20 + 2·10 in any 10 s: 24 in the first 2.4 s, then 2/s
      expect(maxIn(10_000)).toBe(39);
      expect(admittedAt.filter((t) => t < 2_400)).toHaveLength(24);
      expect(admittedAt.filter((t) => t < 60_000)).toHaveLength(60);
    });

    describe('burst capacity per plan: a flood is admitted exactly floor(2·L·10/60) at once', () => {
      const cases = [
        { plan: 'free', want: 20 },
        { plan: 'starter', want: 100 },
        { plan: 'pro', want: 333 },
        { plan: 'team', want: 1000 },
        { plan: 'enterprise', want: 3333 },
      ];
      for (const c of cases) {
        it(`${c.plan}: ${c.want}`, async () => {
          const clock = testClock();
          const f = facts(base, 'ingestTrace', { tenantId: freshTenant('cap'), plan: c.plan });
          const ds = await Promise.all(Array.from({ length: c.want + 5 }, () => decide(f, base, store, clock)));
          expect(allowedCount(ds)).toBe(c.want);
          const refused = ds.find((d) => !d.allowed)!;
          expect(refused.violated).toEqual(['default.burst']);
          // the next token comes after 10 s / capacity; Retry-After rounds that up to 1 s
          expect(refused.retryAfter).toBe(1);
          clock.set(byName(refused, 'default.burst').resetAt);
          expect((await decide(f, base, store, clock)).allowed).toBe(true);
        });
      }
    });

    it('after a downgrade, a key over its new limit waits until enough of its log has expired', async () => {
      const clock = testClock();
      const t0 = clock.now();
      const tenantId = freshTenant('down');
      const model = applyOverrides(base, { policies: { default: { limit: 100, windowSeconds: 60 } } });
      const lower = applyOverrides(base, { policies: { default: { limit: 60, windowSeconds: 60 } } });
      const f = facts(model, 'ingestTrace', { tenantId });
      for (let i = 0; i < 100; i++) {
        clock.set(t0 + i * 100);
        expect((await decide(f, model, store, clock)).allowed).toBe(true);
      }
      const d = await decide(facts(lower, 'ingestTrace', { tenantId }), lower, store, clock);
      // 100 stamps at t0 + 0.1 s·i: the count drops below 60 when the 41st (i = 40) expires
      expect(d).toMatchObject({ allowed: false, violated: ['default'] });
      expect(byName(d, 'default')).toMatchObject({ limit: 60, remaining: 0, resetAt: t0 + 4_000 + 60_000 });
      clock.set(t0 + 64_000 - 1);
      expect((await decide(facts(lower, 'ingestTrace', { tenantId }), lower, store, clock)).allowed).toBe(false);
      clock.set(t0 + 64_000);
      expect((await decide(facts(lower, 'ingestTrace', { tenantId }), lower, store, clock)).allowed).toBe(true);
    });

    it('consumes nothing from the other policies when one policy refuses (all-or-nothing)', async () => {
      const clock = testClock();
      const tenantId = freshTenant('aon');
      const ai = facts(base, 'createInsight', { tenantId, plan: 'pro' });
      const plain = facts(base, 'ingestTrace', { tenantId, plan: 'pro' });
      expect(allowedCount(await send(20, ai, base, store, clock))).toBe(20);
      const before = byName(await decide(plain, base, store, clock), 'default').remaining;
      const refused = await send(30, ai, base, store, clock);
      expect(refused.every((d) => !d.allowed && d.violated.join() === 'ai')).toBe(true);
      // the refused requests report `default` untouched, and the next plain request takes exactly one
      expect(refused.every((d) => byName(d, 'default').remaining === before)).toBe(true);
      expect(byName(await decide(plain, base, store, clock), 'default').remaining).toBe(before - 1);
    });

    describe('headers and body agree, and the request sent after Retry-After is admitted', () => {
      const cases: { name: string; model: () => ContractModel; operation: string; plan: string; fill: number; want: string[] }[] = [
        { name: 'burst companion (free flood)', model: () => base, operation: 'ingestTrace', plan: 'free', fill: 20, want: ['default.burst'] },
        {
          name: 'fixed window `reads`',
          model: () => applyOverrides(base, { policies: { default: { limit: 1000, windowSeconds: 60 } } }),
          operation: 'listTraces',
          plan: 'free',
          fill: 20,
          want: ['reads'],
        },
        {
          name: 'sliding log `default=20/2s`',
          model: () => applyOverrides(base, { policies: { default: { limit: 20, windowSeconds: 2 } } }),
          operation: 'ingestTrace',
          plan: 'free',
          fill: 20,
          want: ['default'],
        },
        {
          name: 'sliding-window counter `default=20/2s`',
          model: () => applyOverrides(withAlgorithm(base, 'default', 'sliding-window-counter'), { policies: { default: { limit: 20, windowSeconds: 2 } } }),
          operation: 'ingestTrace',
          plan: 'free',
          fill: 20,
          want: ['default'],
        },
        { name: 'hourly `ai` (20/h)', model: () => base, operation: 'createInsight', plan: 'pro', fill: 20, want: ['ai'] },
      ];
      for (const c of cases) {
        it(c.name, async () => {
          const model = c.model();
          const clock = testClock(Date.parse('2026-03-03T12:00:00.250Z'));
          const f = facts(model, c.operation, { tenantId: freshTenant('agree'), plan: c.plan });
          for (let i = 0; i < c.fill; i++) {
            expect((await decide(f, model, store, clock)).allowed).toBe(true);
            clock.advance(7); // a little spread so sliding and bucket state is not all one instant
          }
          const d = await decide(f, model, store, clock);
          expect(d.violated).toEqual(c.want);
          const h = rateLimitHeaders(d);
          const body = problem(model, d.code!, { instance: f.operation.path, requestId: 'req_1', ...d.problem });
          const binding = byName(d, c.want[0]!);
          expect(Number(h['Retry-After'])).toBe(d.retryAfter);
          expect(body.retry_after_seconds).toBe(d.retryAfter);
          expect(body.violated_policies).toEqual(c.want);
          expect(h['RateLimit']).toContain(`"${binding.name}";r=0;t=${d.retryAfter}`);
          expect(h['X-RateLimit-Remaining']).toBe('0');
          expect(h['X-RateLimit-Limit']).toBe(String(body.limit));
          expect(h['X-RateLimit-Policy']).toBe(`${body.limit};w=${body.window_seconds}`);
          expect(Date.parse(body.reset_at as string) / 1000).toBe(Number(h['X-RateLimit-Reset']));
          // Retry-After is never early: it covers the exact moment the limiter admits again …
          expect(clock.now() + d.retryAfter! * 1000).toBeGreaterThanOrEqual(binding.resetAt);
          // … which is exact: 1 ms before it still refuses, at it admits
          const t = clock.now();
          clock.set(binding.resetAt - 1);
          expect((await decide(f, model, store, clock)).allowed).toBe(false);
          clock.set(t + d.retryAfter! * 1000);
          expect((await decide(f, model, store, clock)).allowed).toBe(true);
        });
      }
    });

    describe('monthly quotas', () => {
      it('rolls over at UTC midnight on the 1st: 402 at 23:59:59.999 on the 31st, admitted at 00:00 on the 1st', async () => {
        const clock = testClock('2026-03-31T23:59:59.999Z');
        const tenantId = freshTenant('month');
        const f = facts(base, 'ingestTrace', { tenantId, plan: 'free', meters: { traces: 1, spans: 5 } });
        await store.setUsage(tenantId, { traces: 10_000 }, clock.now());
        const refused = await decide(f, base, store, clock);
        expect(refused).toMatchObject({ allowed: false, status: 402, code: 'quota_exceeded' });
        expect(refused.problem).toMatchObject({ meter: 'traces', limit: 10_000, used: 10_000, resets_at: '2026-04-01T00:00:00Z' });
        // the 402 still counted as a request against the rate limits
        expect(byName(refused, 'default').remaining).toBe(59);
        clock.set('2026-04-01T00:00:00.000Z');
        expect((await decide(f, base, store, clock)).allowed).toBe(true);
        expect(await store.recordUsage(tenantId, { traces: 1, spans: 5 }, clock.now())).toEqual({ traces: 1, spans: 5 });
        expect(await store.getUsage(tenantId, ['traces', 'spans', 'eval_runs'], clock.now())).toEqual({ traces: 1, spans: 5, eval_runs: 0 });
        // March is still March
        expect(await store.getUsage(tenantId, ['traces'], Date.parse('2026-03-15T00:00:00Z'))).toEqual({ traces: 10_000 });
      });

      it('refuses a batch that would cross the quota, admits one that lands exactly on it', async () => {
        const clock = testClock();
        const tenantId = freshTenant('batch');
        await store.setUsage(tenantId, { traces: 9_990 }, clock.now());
        const over = await decide(facts(base, 'ingestTrace', { tenantId, meters: { traces: 11 } }), base, store, clock);
        expect(over.problem).toMatchObject({ meter: 'traces', used: 9_990, limit: 10_000 });
        expect((await decide(facts(base, 'ingestTrace', { tenantId, meters: { traces: 10 } }), base, store, clock)).allowed).toBe(true);
      });

      it('answers eval_quota_exceeded for eval runs, and lets `continue` plans run past the quota', async () => {
        const clock = testClock();
        const tenantId = freshTenant('eval');
        await store.setUsage(tenantId, { eval_runs: 500 }, clock.now());
        const free = await decide(facts(base, 'runEval', { tenantId, plan: 'free', meters: { eval_runs: 1 } }), base, store, clock);
        expect(free).toMatchObject({ status: 402, code: 'eval_quota_exceeded' });
        await store.setUsage(tenantId, { eval_runs: 60_000 }, clock.now());
        const pro = await decide(facts(base, 'runEval', { tenantId, plan: 'pro', meters: { eval_runs: 1 } }), base, store, clock);
        expect(pro.allowed).toBe(true);
      });
    });

    describe('clock skew between instances', () => {
      it('a lagging instance joins the fixed window a leading one opened, instead of opening its own', async () => {
        const model = applyOverrides(base, { policies: { default: { limit: 1000, windowSeconds: 60 } } });
        const other = await harness.open();
        const real: TestClock = testClock(Date.parse('2026-03-03T12:00:00.800Z'));
        const ahead = skewed(real, 400); // already in the next second
        const behind = skewed(real, -400);
        const f = facts(model, 'listTraces', { tenantId: freshTenant('skewf') });
        expect(allowedCount(await send(20, f, model, store, ahead))).toBe(20);
        const lagging = await decide(f, model, other, behind);
        expect(lagging).toMatchObject({ allowed: false, violated: ['reads'] });
        // its Retry-After is counted on its own clock: up to the window end plus the skew
        expect(lagging.retryAfter).toBe(2);
        real.advance(2000);
        expect((await decide(f, model, other, behind)).allowed).toBe(true);
      });

      it('a lagging instance sees a full sliding window as full, and its Retry-After covers the skew', async () => {
        const model = applyOverrides(base, { policies: { default: { limit: 10, windowSeconds: 10 } } });
        const other = await harness.open();
        const real = testClock();
        const ahead = skewed(real, 1500);
        const behind = skewed(real, -1500);
        const f = facts(model, 'ingestTrace', { tenantId: freshTenant('skews') });
        expect(allowedCount(await send(10, f, model, store, ahead))).toBe(10);
        real.advance(100);
        const lagging = await decide(f, model, other, behind);
        expect(lagging.allowed).toBe(false);
        // stamps are on the leading clock (t+1.5 s); the lagging clock reaches t+11.5 s in 13 s
        expect(lagging.retryAfter).toBe(13);
        const leading = await decide(f, model, store, ahead);
        expect(leading.retryAfter).toBe(10);
        real.advance(9_900); // the leading clock frees the slots first
        expect((await decide(f, model, store, ahead)).allowed).toBe(true);
        // and the lagging instance, clamped to the newest stamp, sees the same window
        expect(allowedCount(await send(12, f, model, other, behind))).toBe(9);
      });
    });

    it('resets every limiter and usage counter', async () => {
      const clock = testClock();
      const tenantId = freshTenant('reset');
      const f = facts(base, 'ingestTrace', { tenantId });
      await send(20, f, base, store, clock);
      await store.setUsage(tenantId, { traces: 5 }, clock.now());
      expect((await decide(f, base, store, clock)).allowed).toBe(false);
      await store.reset();
      expect((await decide(f, base, store, clock)).allowed).toBe(true);
      expect(await store.getUsage(tenantId, ['traces'], clock.now())).toEqual({ traces: 0 });
    });
  });
}
