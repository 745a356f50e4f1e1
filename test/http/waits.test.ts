/**
 * The pipeline waits only for what waits (src/http/pipeline.ts, `run`): on stores that answer at
 * once (memory), a request is answered before `serve` returns, with no promise in between; when
 * one read waits (a store on Redis answers later), the same answer comes when it resolves. A
 * fault thrown at once is answered as one thrown later is.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadContract } from '../../src/contract/index.js';
import { FetchExchange } from '../../src/http/fetch.js';
import { MockClock } from '../../src/mock/clock.js';
import { exampleAnswer } from '../../src/mock/examples.js';
import { loadFixtures } from '../../src/mock/fixture-files.js';
import { answerOperation, buildLive, type Live } from '../../src/mock/live.js';
import { MemoryStateStore, type StateStore } from '../../src/mock/store/index.js';
import { MemoryStore } from '../../src/policy/memory-store.js';

const KEY = 'tl_test_enterprise_00000000000000000001';

async function liveOn(state: StateStore, policy = new MemoryStore()): Promise<Live> {
  const { document, model } = await loadContract();
  const fixtures = await loadFixtures(model);
  const live = buildLive({
    document,
    model,
    fixtures,
    policy,
    state,
    clock: new MockClock(state, false),
    options: { limits: 'contract', policies: [], failMode: 'open' },
    fallback: (ctx) => (req) => exampleAnswer(ctx, req),
  });
  await live.directory.seedAll(false);
  return live;
}

const usage = () => new FetchExchange(new Request('http://mock.test/v1/usage', { headers: { authorization: `Bearer ${KEY}` } }), '127.0.0.1');

describe('pipeline: waits only for what waits', () => {
  let live: Live;
  beforeAll(async () => {
    live = await liveOn(new MemoryStateStore());
    await live.pipeline.serve(usage(), (r) => answerOperation(live, r)); // the directory reads the key once
  });

  it('answers GET /v1/usage on memory stores before serve returns', async () => {
    const x = usage();
    const done = live.pipeline.serve(x, (r) => answerOperation(live, r));
    expect(done).toBeUndefined();
    const res = x.response();
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit')).toMatch(/^"default";r=\d+;t=\d+/);
    expect((await res.json()).plan).toBe('enterprise');
  });

  it('gives the same answer, later, when a store read waits', async () => {
    const memory = new MemoryStateStore();
    const later = Object.create(memory) as StateStore;
    later.plan = (tenantId: string) => Promise.resolve(memory.plan(tenantId));
    later.capCounts = (tenantId: string) => Promise.resolve(memory.capCounts(tenantId));
    const waiting = await liveOn(later);
    const x = usage();
    const done = waiting.pipeline.serve(x, (r) => answerOperation(waiting, r));
    expect(done).toBeInstanceOf(Promise);
    await done;
    const body = await x.response().json();
    expect(body.plan).toBe('enterprise');
    expect(body.caps.projects.count).toBeGreaterThan(0);
  });

  it('answers a fault thrown at once with a 500 problem, as one thrown later', async () => {
    for (const dispatch of [
      () => {
        throw new Error('at once');
      },
      () => Promise.reject(new Error('later')),
    ]) {
      const x = usage();
      await live.pipeline.serve(x, dispatch);
      const res = x.response();
      expect(res.status).toBe(500);
      expect((await res.json()).code).toBe('internal_error');
    }
  });
});
