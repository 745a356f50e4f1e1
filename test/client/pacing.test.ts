import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client/index.js';
import { PacingGate, type Ticket } from '../../src/client/gate.js';
import { json, problem, scripted, trace, type Responder, type Scripted, type Seen } from './server.js';

let server: Scripted | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const page = { data: [], next_cursor: null };

/** A server enforcing `limit` requests per fixed window of `windowMs` on policy `default`, with draft-11 headers. */
function fixedWindow(limit: number, windowMs: number): Responder & { refused: number } {
  let windowStart = 0;
  let count = 0;
  const responder = ((_seen: Seen, res: ServerResponse) => {
    const now = Date.now();
    if (now - windowStart >= windowMs) {
      windowStart = now;
      count = 0;
    }
    const t = Math.ceil((windowStart + windowMs - now) / 1000);
    if (count >= limit) {
      responder.refused++;
      return problem(429, 'rate_limited', { 'retry-after': String(t), ratelimit: `"default";r=0;t=${t}` })(_seen, res, 0, undefined as never);
    }
    count++;
    res.writeHead(200, { 'content-type': 'application/json', ratelimit: `"default";r=${limit - count};t=${t}` });
    res.end(JSON.stringify(page));
  }) as unknown as Responder & { refused: number };
  responder.refused = 0;
  return responder;
}

describe('pacing', () => {
  it('after a response with remaining 0 and t=1, waits about 1 s before the next request', async () => {
    server = await scripted([json(200, page, { ratelimit: '"default";r=0;t=1' }), json(200, page)]);
    const client = createClient({ baseUrl: server.url });
    await client.GET('/v1/traces');
    await client.GET('/v1/traces');
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('shares one gate across concurrent calls: a burst of 9 under 3 per second meets no 429', async () => {
    const limiter = fixedWindow(3, 1000);
    server = await scripted(limiter);
    const client = createClient({ baseUrl: server.url, maxRetries: 0 });
    const results = await Promise.all(Array.from({ length: 9 }, () => client.GET('/v1/traces')));
    expect(results.map((r) => r.response.status)).toEqual(Array(9).fill(200));
    expect(limiter.refused).toBe(0);
  });

  it('without pacing the same burst is refused (the test above can fail)', async () => {
    const limiter = fixedWindow(3, 1000);
    server = await scripted(limiter);
    const client = createClient({ baseUrl: server.url, maxRetries: 0, pacing: false });
    const results = await Promise.all(Array.from({ length: 9 }, () => client.GET('/v1/traces')));
    expect(results.filter((r) => r.response.status === 429).length).toBe(6);
  });

  it('paces by the legacy X-RateLimit-Remaining / X-RateLimit-Reset when RateLimit is absent', async () => {
    const legacy: Responder = (seen, res) =>
      json(200, page, {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 2),
        'x-ratelimit-policy': '10;w=2',
      })(seen, res, 0, undefined as never);
    server = await scripted([legacy, json(200, page)]);
    const client = createClient({ baseUrl: server.url });
    await client.GET('/v1/traces');
    await client.GET('/v1/traces');
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('holds back only the operations of the exhausted policy: a spent `ai` quota does not stall ingest', async () => {
    server = await scripted([json(200, {}, { ratelimit: '"default";r=50;t=60, "ai";r=0;t=3600' }), json(202, {})]);
    // maxWaitMs above the hour: were ingest held by `ai`, it would wait the hour (and time out here).
    const client = createClient({ baseUrl: server.url, maxWaitMs: 2 * 3600_000 });
    await client.POST('/v1/ai/insights', { body: { trace_id: 'tr_1' } as never });
    const started = Date.now();
    await client.POST('/v1/ingest', { body: trace(1) });
    expect(Date.now() - started).toBeLessThan(10_000); // not the hour the ai policy asks for
  });

  it("does not hold a request past maxWaitMs: it sends it and returns the server's answer", async () => {
    server = await scripted([json(200, page, { ratelimit: '"default";r=0;t=3600' }), problem(429, 'rate_limited', { 'retry-after': '3600' })]);
    const client = createClient({ baseUrl: server.url, maxWaitMs: 500 });
    await client.GET('/v1/traces');
    const started = Date.now();
    const { response } = await client.GET('/v1/traces');
    expect(response.status).toBe(429);
    expect(Date.now() - started).toBeLessThan(10_000); // not the hour (room for a loaded machine)
    expect(server.requests).toHaveLength(2);
  });
});

describe('pacing gate', () => {
  const headers = (value: string) => new Response(null, { status: 200, headers: { ratelimit: value } });
  const pending = async (p: Promise<unknown>, ms = 30) =>
    (await Promise.race([p.then(() => 'done'), new Promise((r) => setTimeout(() => r('pending'), ms))])) === 'pending';

  it('sends the first request of an unknown policy alone; its answer releases as many as remain', async () => {
    const gate = new PacingGate();
    const far = Date.now() + 60_000;
    const probe = await gate.acquire(['default'], far);
    const second = gate.acquire(['default'], far);
    const third = gate.acquire(['default'], far);
    expect(await pending(second)).toBe(true);
    gate.observe(probe, headers('"default";r=1;t=30')); // reset within the deadline, so the third waits
    expect(await pending(second)).toBe(false);
    expect(await pending(third)).toBe(true); // one remained, the second took it
  });

  it('subtracts requests still in flight from the remaining the server reports', async () => {
    const gate = new PacingGate();
    const far = Date.now() + 60_000;
    gate.observe(await gate.acquire(['default'], far), headers('"default";r=5;t=60'));
    const sent: Ticket[] = [];
    for (let i = 0; i < 3; i++) sent.push(await gate.acquire(['default'], far));
    // The first of the three is answered: the server counted it (r=4) but not the two after it.
    gate.observe(sent[0]!, headers('"default";r=4;t=60'));
    expect(gate.snapshot().default!.remaining).toBe(2);
  });

  it('also subtracts an older request still in flight: the server may count it after the answered one', async () => {
    const gate = new PacingGate();
    const far = Date.now() + 60_000;
    gate.observe(await gate.acquire(['default'], far), headers('"default";r=5;t=60'));
    const sent: Ticket[] = [];
    for (let i = 0; i < 3; i++) sent.push(await gate.acquire(['default'], far));
    // The last is answered first (r=4: the server took it before the other two).
    gate.observe(sent[2]!, headers('"default";r=4;t=60'));
    expect(gate.snapshot().default!.remaining).toBe(2);
  });

  it('keeps the lowest remaining until the reset: a newer request the server counted earlier may be answered last', async () => {
    const gate = new PacingGate();
    const far = Date.now() + 60_000;
    gate.observe(await gate.acquire(['default'], far), headers('"default";r=5;t=60'));
    const first = await gate.acquire(['default'], far);
    const second = await gate.acquire(['default'], far);
    // The server took `second` first (r=4), then `first` (r=3); the answers arrive the other way round.
    gate.observe(first, headers('"default";r=3;t=60'));
    gate.observe(second, headers('"default";r=4;t=60'));
    expect(gate.snapshot().default!.remaining).toBe(3);
  });

  it('ignores a late answer to an older request when a newer one was already read', async () => {
    const gate = new PacingGate();
    const far = Date.now() + 60_000;
    gate.observe(await gate.acquire(['default'], far), headers('"default";r=10;t=60'));
    const older = await gate.acquire(['default'], far);
    const newer = await gate.acquire(['default'], far);
    gate.observe(newer, headers('"default";r=0;t=60'));
    gate.observe(older, headers('"default";r=9;t=60'));
    expect(gate.snapshot().default!.remaining).toBe(0);
  });

  const described = (rateLimit: string) => new Response(null, { status: 200, headers: { ratelimit: rateLimit, 'ratelimit-policy': '"default";q=2;w=1' } });

  it('frees a unit when our own answer leaves the window, sooner than the t the server rounded up', async () => {
    const gate = new PacingGate();
    const far = Date.now() + 60_000;
    const started = Date.now();
    gate.observe(await gate.acquire(['default'], far), described('"default";r=1;t=1'));
    await new Promise((r) => setTimeout(r, 300));
    gate.observe(await gate.acquire(['default'], far), described('"default";r=0;t=2')); // 0.7 s left, rounded up to 2
    const third = gate.acquire(['default'], far).then(() => Date.now());
    // Released before the 2 s that t says have passed since that answer. Timers fire in the order
    // they are due, so this holds on a loaded machine too: the gate's timer is due 1 s after the
    // first answer, the check's 2 s after the second.
    expect(await pending(third, 2000)).toBe(false);
    expect((await third) - started).toBeGreaterThanOrEqual(990); // the first answer is a window old
  });

  it('waits for t when the server counts requests we did not send (another client shares the key)', async () => {
    const gate = new PacingGate();
    const far = Date.now() + 60_000;
    gate.observe(await gate.acquire(['default'], far), described('"default";r=0;t=2')); // 2 used, only 1 of them ours
    expect(
      await pending(
        gate.acquire(['default'], far, AbortSignal.timeout(1500)).catch(() => undefined),
        1200,
      ),
    ).toBe(true);
  });

  it('also waits on a burst companion the server names: `default.burst` spent while `default` has plenty left', async () => {
    const gate = new PacingGate();
    const far = Date.now() + 60_000;
    gate.observe(await gate.acquire(['default'], far), headers('"default";r=600;t=58, "default.burst";r=0;t=1'));
    const next = gate.acquire(['default'], far);
    expect(await pending(next, 300)).toBe(true);
    expect((await next).policies).toEqual(['default', 'default.burst']);
  });

  it('opens a policy whose probe came back without rate-limit headers (limits switched off)', async () => {
    const gate = new PacingGate();
    const far = Date.now() + 60_000;
    gate.observe(await gate.acquire(['default'], far), new Response(null, { status: 200 }));
    const many = await Promise.all(Array.from({ length: 5 }, () => gate.acquire(['default'], far)));
    expect(many).toHaveLength(5);
    expect(gate.snapshot().default!.mode).toBe('open');
  });

  it('lets another request probe when the probe failed without an answer', async () => {
    const gate = new PacingGate();
    const far = Date.now() + 60_000;
    const probe = await gate.acquire(['default'], far);
    const next = gate.acquire(['default'], far);
    gate.abandon(probe);
    expect(await pending(next)).toBe(false);
  });
});
