import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { operationLimits } from '../../generated/limits.js';
import { createClient, sampled, type ClientOptions } from '../../src/client/index.js';
import { acceptAll, problem, reset, scripted, trace, tracesOf, type Responder, type Scripted, type Seen } from './server.js';

let server: Scripted | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const LIMITS = operationLimits.ingestBatch;

function clientFor(s: Scripted, options: Partial<ClientOptions> = {}) {
  return createClient({
    apiKey: 'tl_test_x',
    baseUrl: s.url,
    backoff: { baseMs: 5, maxMs: 20 },
    ...options,
    batch: { flushIntervalMs: 60_000, ...options.batch },
  });
}

/** Every trace_id the server received, over all batch requests. */
const received = (s: Scripted) => s.requests.filter((r) => r.path === '/v1/ingest/batch').flatMap((r) => tracesOf(r).map((t) => t.trace_id));

/** Answers 202 with one result per trace, choosing each result with `pick`. */
function perItem(pick: (traceId: string, index: number) => { status: 'accepted' } | { status: 'rejected'; code: string }): Responder {
  return (seen: Seen, res: ServerResponse) => {
    const results = tracesOf(seen).map((t, index) => ({ index, trace_id: t.trace_id, ...pick(t.trace_id, index) }));
    res.writeHead(202, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        accepted: results.filter((r) => r.status === 'accepted').length,
        rejected: results.filter((r) => r.status === 'rejected').length,
        results,
      }),
    );
  };
}

describe('ingest batcher', () => {
  it(`sends batches of at most the contract's ${LIMITS.maxItems.max} traces`, async () => {
    server = await scripted(acceptAll);
    const client = clientFor(server);
    const n = LIMITS.maxItems.max * 2 + 500;
    for (let i = 0; i < n; i++) client.ingest(trace(i));
    await client.flush();
    expect(server.requests.map((r) => tracesOf(r).length)).toEqual([LIMITS.maxItems.max, LIMITS.maxItems.max, 500]);
    expect(client.stats()).toMatchObject({ accepted: n, queued: 0, inFlight: 0, batches: 3 });
  });

  it(`keeps every batch body within the contract's ${LIMITS.maxBodyBytes} bytes`, async () => {
    server = await scripted(acceptAll);
    const client = clientFor(server);
    const input = 'x'.repeat(8000); // 1000 of these would be ~8 MB
    for (let i = 0; i < 1000; i++) client.ingest(trace(i, { input }));
    await client.flush();
    const sizes = server.requests.map((r) => Buffer.byteLength(r.body));
    expect(sizes.length).toBeGreaterThan(1);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(LIMITS.maxBodyBytes);
    expect(sizes[0]).toBeGreaterThan(LIMITS.maxBodyBytes - 9000); // full, not timid
    expect(new Set(received(server)).size).toBe(1000);
  });

  it('splits by a smaller byte limit of its own, counting multi-byte characters exactly', async () => {
    server = await scripted(acceptAll);
    const client = clientFor(server, { batch: { maxBytes: 2000 } });
    for (let i = 0; i < 40; i++) client.ingest(trace(i, { input: 'é€😀'.repeat(20) }));
    await client.flush();
    for (const r of server.requests) expect(Buffer.byteLength(r.body)).toBeLessThanOrEqual(2000);
    expect(received(server)).toHaveLength(40);
  });

  it('splits and resends when the server answers 413, and remembers the smaller limit', async () => {
    const tooBig: Responder = (seen, res, i, req) =>
      Buffer.byteLength(seen.body) > 3000 ? problem(413, 'payload_too_large')(seen, res, i, req) : acceptAll(seen, res, i, req);
    server = await scripted(tooBig);
    const client = clientFor(server);
    for (let i = 0; i < 64; i++) client.ingest(trace(i, { input: 'y'.repeat(100) }));
    await client.flush();
    const accepted = server.requests.filter((r) => Buffer.byteLength(r.body) <= 3000);
    expect(accepted.flatMap((r) => tracesOf(r).map((t) => t.trace_id)).sort()).toEqual(Array.from({ length: 64 }, (_, i) => trace(i).trace_id).sort());
    expect(client.stats()).toMatchObject({ accepted: 64, rejected: 0 });
    expect(client.stats().splits).toBeGreaterThan(0);
    // Later batches start at the learned size instead of meeting 413 again.
    const before = server.requests.length;
    for (let i = 64; i < 80; i++) client.ingest(trace(i, { input: 'y'.repeat(100) }));
    await client.flush();
    expect(server.requests.slice(before).every((r) => Buffer.byteLength(r.body) <= 3000)).toBe(true);
  });

  it('splits on 400 batch_too_large using the limit the problem states', async () => {
    const maxTen: Responder = (seen, res, i, req) =>
      tracesOf(seen).length > 10 ? problem(400, 'batch_too_large', {}, { limit: 10 })(seen, res, i, req) : acceptAll(seen, res, i, req);
    server = await scripted(maxTen);
    const client = clientFor(server);
    for (let i = 0; i < 35; i++) client.ingest(trace(i));
    await client.flush();
    expect(server.requests.map((r) => tracesOf(r).length)).toEqual([35, 10, 10, 10, 5]);
    expect(client.stats()).toMatchObject({ accepted: 35, splits: 1 });
  });

  it('counts a per-item 409 trace_already_exists as delivered, not as an error', async () => {
    server = await scripted(perItem((_id, i) => (i % 2 ? { status: 'rejected', code: 'trace_already_exists' } : { status: 'accepted' })));
    const client = clientFor(server);
    for (let i = 0; i < 10; i++) client.ingest(trace(i));
    await client.flush();
    expect(client.stats()).toMatchObject({ accepted: 5, duplicates: 5, rejected: 0 });
    expect(server.requests).toHaveLength(1);
  });

  it('resends only the items whose rejection is retryable, and reports the others by code', async () => {
    const seen = new Map<string, number>();
    server = await scripted(
      perItem((id) => {
        seen.set(id, (seen.get(id) ?? 0) + 1);
        if (id === trace(1).trace_id && seen.get(id) === 1) return { status: 'rejected', code: 'internal_error' };
        if (id === trace(2).trace_id) return { status: 'rejected', code: 'validation_failed' };
        return { status: 'accepted' };
      }),
    );
    const rejected: string[] = [];
    const client = clientFor(server, { batch: { onRejected: (id, code) => rejected.push(`${id}:${code}`) } });
    for (let i = 0; i < 4; i++) client.ingest(trace(i));
    await client.flush();
    expect(client.stats()).toMatchObject({ accepted: 3, rejected: 1, rejectedByCode: { validation_failed: 1 } });
    expect(rejected).toEqual([`${trace(2).trace_id}:validation_failed`]);
    expect(server.requests.map((r) => tracesOf(r).length)).toEqual([4, 1]);
  });

  it('keeps a trace the API keeps rejecting with a retryable code queued, and says so from flush()', async () => {
    server = await scripted(perItem((id) => (id === trace(1).trace_id ? { status: 'rejected', code: 'internal_error' } : { status: 'accepted' })));
    const client = clientFor(server, { maxRetries: 2 });
    client.ingest(trace(0));
    client.ingest(trace(1));
    await expect(client.flush()).rejects.toThrow(/still rejected with `internal_error` after 2 retries/);
    expect(server.requests.map((r) => tracesOf(r).length)).toEqual([2, 1, 1]);
    expect(client.stats()).toMatchObject({ accepted: 1, rejected: 0, queued: 1 });
  });

  it('on a 422 naming traces by pointer, rejects those and resends the rest', async () => {
    server = await scripted([
      problem(422, 'validation_failed', {}, { errors: [{ pointer: '/traces/1/start_time', code: 'format', message: 'not a date-time' }] }),
      acceptAll,
    ]);
    const client = clientFor(server);
    for (let i = 0; i < 3; i++) client.ingest(trace(i));
    await client.flush();
    expect(tracesOf(server.requests[1]!).map((t) => t.trace_id)).toEqual([trace(0).trace_id, trace(2).trace_id]);
    expect(client.stats()).toMatchObject({ accepted: 2, rejected: 1 });
  });

  it('never retries a 402 quota: one request, its traces counted as rejected by code', async () => {
    server = await scripted([problem(402, 'quota_exceeded'), acceptAll]);
    const client = clientFor(server);
    for (let i = 0; i < 5; i++) client.ingest(trace(i));
    await client.flush();
    expect(server.requests).toHaveLength(1);
    expect(client.stats()).toMatchObject({ accepted: 0, rejected: 5, rejectedByCode: { quota_exceeded: 5 } });
  });

  it('sends a partial batch when the flush interval passes', async () => {
    server = await scripted(acceptAll);
    const client = clientFor(server, { batch: { flushIntervalMs: 100 } });
    client.ingest(trace(1));
    client.ingest(trace(2));
    // No flush() call: the interval alone sends it (a bounded wait for the condition, not a fixed sleep).
    for (let waited = 0; received(server).length < 2 && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    expect(received(server)).toEqual([trace(1).trace_id, trace(2).trace_id]);
    expect(server.requests).toHaveLength(1);
  });

  it('shutdown() sends everything queued, then counts later traces as dropped', async () => {
    server = await scripted(acceptAll);
    const client = clientFor(server);
    for (let i = 0; i < 7; i++) client.ingest(trace(i));
    await client.shutdown();
    expect(received(server)).toHaveLength(7);
    expect(client.ingest(trace(99))).toBe(false);
    expect(client.stats()).toMatchObject({ accepted: 7, dropped: 1, queued: 0 });
  });

  it('a full queue drops the newest traces and counts them', async () => {
    server = await scripted(acceptAll);
    const client = clientFor(server, { batch: { maxQueue: 5 } });
    const kept = Array.from({ length: 8 }, (_, i) => client.ingest(trace(i)));
    expect(kept).toEqual([true, true, true, true, true, false, false, false]);
    expect(client.stats()).toMatchObject({ queued: 5, dropped: 3 });
    await client.flush();
    expect(received(server)).toEqual([0, 1, 2, 3, 4].map((i) => trace(i).trace_id));
  });

  it('with dropPolicy `oldest`, a full queue drops the oldest instead', async () => {
    server = await scripted(acceptAll);
    const client = clientFor(server, { batch: { maxQueue: 5, dropPolicy: 'oldest' } });
    for (let i = 0; i < 8; i++) client.ingest(trace(i));
    await client.flush();
    expect(received(server)).toEqual([3, 4, 5, 6, 7].map((i) => trace(i).trace_id));
    expect(client.stats()).toMatchObject({ accepted: 5, dropped: 3 });
  });

  it('keeps a deterministic share of traces by trace_id with sampleRate', async () => {
    server = await scripted(acceptAll);
    const a = clientFor(server, { sampleRate: 0.25 });
    for (let i = 0; i < 4000; i++) a.ingest(trace(i));
    await a.flush();
    const kept = received(server);
    expect(kept.length).toBeGreaterThan(4000 * 0.22);
    expect(kept.length).toBeLessThan(4000 * 0.28);
    expect(a.stats().sampledOut).toBe(4000 - kept.length);
    // The same ids make the same decision in any process (so a trace is kept or dropped whole).
    expect(kept.every((id) => sampled(id, 0.25))).toBe(true);
    expect(sampled(trace(1).trace_id, 0)).toBe(false);
    expect(sampled(trace(1).trace_id, 1)).toBe(true);
  });

  it('refuses a trace larger than any batch may be, without sending it', async () => {
    server = await scripted(acceptAll);
    const client = clientFor(server, { batch: { maxBytes: 1000 } });
    expect(client.ingest(trace(1, { input: 'z'.repeat(2000) }))).toBe(false);
    expect(client.stats()).toMatchObject({ rejected: 1, rejectedByCode: { payload_too_large: 1 } });
    expect(server.requests).toHaveLength(0);
  });

  it('flush() rejects but keeps the traces while the server stays down; a later flush delivers them', async () => {
    let down = true;
    server = await scripted((seen, res, i, req) => (down ? problem(503, 'service_unavailable')(seen, res, i, req) : acceptAll(seen, res, i, req)));
    const client = clientFor(server, { maxRetries: 1 });
    for (let i = 0; i < 3; i++) client.ingest(trace(i));
    await expect(client.flush()).rejects.toMatchObject({ code: 'service_unavailable' });
    expect(client.stats()).toMatchObject({ queued: 3, accepted: 0, rejected: 0, requeues: 1 });
    down = false;
    await client.flush();
    expect(client.stats()).toMatchObject({ queued: 0, accepted: 3 });
  });

  it('loses and duplicates nothing through 5xx answers and connection resets after the server stored the batch', async () => {
    const stored = new Map<string, number>();
    const replies = new Map<string, string>(); // Idempotency-Key → first answer, replayed like the API does
    let n = 0;
    server = await scripted((seen, res, i, req) => {
      n++;
      if (n % 5 === 2) return problem(503, 'service_unavailable', { 'retry-after': '0' })(seen, res, i, req);
      const key = String(seen.headers['idempotency-key']);
      let reply = replies.get(key);
      if (!reply) {
        const results = tracesOf(seen).map((t, index) => {
          const dup = stored.has(t.trace_id);
          stored.set(t.trace_id, (stored.get(t.trace_id) ?? 0) + 1);
          return dup ? { index, trace_id: t.trace_id, status: 'rejected', code: 'trace_already_exists' } : { index, trace_id: t.trace_id, status: 'accepted' };
        });
        const accepted = results.filter((r) => r.status === 'accepted').length;
        reply = JSON.stringify({ accepted, rejected: results.length - accepted, results });
        replies.set(key, reply);
      }
      if (n % 5 === 4) return reset(seen, res, i, req); // stored, but the answer is lost
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(reply);
    });
    const client = clientFor(server, { maxRetries: 10, batch: { maxItems: 50, concurrency: 3 } }); // enough retries that no batch runs out of them
    for (let i = 0; i < 1000; i++) client.ingest(trace(i));
    await client.shutdown();
    expect(stored.size).toBe(1000);
    expect([...stored.values()].every((count) => count === 1)).toBe(true);
    expect(client.stats()).toMatchObject({ accepted: 1000, duplicates: 0, rejected: 0, dropped: 0, queued: 0 });
  });

  it('rejects limits above the contract with a message naming the limit', () => {
    expect(() => createClient({ baseUrl: 'http://127.0.0.1:1', batch: { maxItems: LIMITS.maxItems.max + 1 } })).toThrow(
      `\`batch.maxItems\` must be an integer in [1, ${LIMITS.maxItems.max}]`,
    );
  });
});
