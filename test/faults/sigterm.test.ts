/**
 * Faults (issue 7): SIGTERM while requests are in flight. The CLI mock (`traceloom mock`) must
 * finish every request it has accepted, with a complete response, then exit 0 by itself within
 * a bound; it must not take new connections once it has been told to stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/lib/redis-server.js';
import { repoRoot } from '../../src/contract/index.js';

const KEY = 'tl_test_enterprise_00000000000000000001';
const IN_FLIGHT = 24;
/**
 * The mock adds 1.2–1.5 s to every request. SIGTERM goes once every request's connection is
 * established and the listening socket's accept queue is empty, i.e. the server has accepted
 * them all (a connection still in the listen backlog when the server closes is reset by the
 * kernel: never accepted, not in flight). A bounded wait for that condition, not a fixed sleep.
 */
const LATENCY = '1200-1500';
const ACCEPTED_WITHIN_MS = 10_000;
/**
 * Draining must not wait for idle keep-alive connections (the server would hold them 5 s): that is
 * judged by order — the idle connection is closed before the in-flight answers go out. The exit
 * itself only has to come by itself, within a bound far from a hang, on a loaded machine too.
 */
const EXIT_WITHIN_MS = 10_000;

let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
});

/** Spawns `traceloom mock` on a free port; resolves once the banner says it is ready. */
async function spawnMock(extra: string[] = []): Promise<{
  url: string;
  port: number;
  proc: ChildProcess;
  exited: Promise<{ code: number | null; signal: string | null; at: number }>;
  output: () => string;
}> {
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'src/cli.ts'), 'mock', '--port', String(port), '--no-watch', '--quiet', '--latency', LATENCY, ...extra],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child = proc;
  let log = '';
  proc.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null; at: number }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mock not ready in 30 s:\n${log}`)), 30_000);
    const check = () => {
      if (/Traceloom mock ready in \d+ ms/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on('data', check);
    void exited.then(({ code }) => reject(new Error(`mock exited (${code}) before it was ready:\n${log}`)));
  });
  return { url: `http://127.0.0.1:${port}`, port, proc, exited, output: () => log };
}

/**
 * Connections waiting in the accept queue of the socket listening on `port` (Linux:
 * /proc/net/tcp{,6} `rx_queue` of a LISTEN row); -1 when no such row is found.
 */
function acceptBacklog(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let backlog = -1;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && f[1]?.endsWith(`:${hex}`)) backlog = Math.max(backlog, 0) + parseInt(f[4]!.split(':')[1]!, 16);
    }
  }
  return backlog;
}

/** GET `url` on a connection of its own; `connected` resolves once that connection is established. */
function inFlight(url: string): { connected: Promise<void>; answer: Promise<{ status: number; length: number; text: string }> } {
  let onConnect!: () => void;
  const connected = new Promise<void>((r) => (onConnect = r));
  const answer = new Promise<{ status: number; length: number; text: string }>((resolve, reject) => {
    const req = httpGet(url, { headers: { authorization: `Bearer ${KEY}` }, agent: false, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () =>
        res.complete ? resolve({ status: res.statusCode!, length: Number(res.headers['content-length']), text }) : reject(new Error('response cut short')),
      );
      res.on('error', reject);
    });
    req.on('socket', (socket) => (socket.connecting ? socket.once('connect', onConnect) : onConnect()));
    req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', reject);
  });
  return { connected, answer };
}

/** A keep-alive connection that had one answer and now sits idle; `closed` resolves when the server closes it. */
async function idleConnection(port: number): Promise<{ closed: Promise<number> }> {
  const socket = connect(port, '127.0.0.1');
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
  socket.on('error', () => {});
  let received = '';
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => socket.write('GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n'));
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      const split = received.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(received.slice(0, split));
      if (split >= 0 && length && received.length - split - 4 >= Number(length[1])) resolve();
    });
    void closed.then(() => reject(new Error(`the warm-up connection closed before its answer: ${received.slice(0, 200)}`)));
  });
  expect(received).toMatch(/^HTTP\/1\.1 200 /);
  return { closed };
}

/** Connects to `port` until the connection is refused; returns when (throws after `limitMs`). */
async function untilRefused(port: number, limitMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < limitMs) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
    });
    if (refused) return performance.now();
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`port ${port} still accepted connections ${limitMs} ms after SIGTERM`);
}

describe('SIGTERM during load', () => {
  it('finishes every in-flight request with a complete response, refuses new connections, and exits 0', async () => {
    const mock = await spawnMock();
    // Warm one keep-alive connection first: an idle connection must not hold the exit up either.
    const idle = await idleConnection(mock.port);

    const calls = Array.from({ length: IN_FLIGHT }, (_, i) => inFlight(`${mock.url}/v1/traces?limit=${(i % 5) + 1}`));
    const requests = calls.map(async ({ answer }) => {
      const { status, length, text } = await answer; // the whole body, or this rejects on a cut connection
      return { status, length, bytes: Buffer.byteLength(text), body: JSON.parse(text) as { data?: unknown[] }, at: performance.now() };
    });
    const settled = Promise.allSettled(requests);
    // Every connection established and none left in the accept queue: the server holds them all.
    await Promise.all(calls.map((c) => c.connected));
    const t0 = performance.now();
    while (acceptBacklog(mock.port) !== 0) {
      if (performance.now() - t0 > ACCEPTED_WITHIN_MS) throw new Error(`the mock did not accept ${IN_FLIGHT} connections within ${ACCEPTED_WITHIN_MS} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const signalledAt = performance.now();
    mock.proc.kill('SIGTERM');
    // It stops listening at once: new connections are refused while the old ones are served.
    const refusedAt = await untilRefused(mock.port, 3000);

    const results = await settled;
    const lastAnswer = performance.now();
    const idleClosedAt = await Promise.race([idle.closed, new Promise<null>((r) => setTimeout(() => r(null), EXIT_WITHIN_MS))]);
    const exit = await Promise.race([mock.exited, new Promise<null>((r) => setTimeout(() => r(null), EXIT_WITHIN_MS))]);
    const failed = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    expect(failed).toEqual([]);
    const answers = results.map((r) => (r as PromiseFulfilledResult<Awaited<(typeof requests)[number]>>).value);
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.bytes).toBe(a.length);
      expect(Array.isArray(a.body.data)).toBe(true);
    }
    // They really were in flight at SIGTERM, and still after the server stopped listening.
    expect(refusedAt).toBeGreaterThan(signalledAt);
    expect(answers.every((a) => a.at > refusedAt)).toBe(true);
    // The idle connection was closed while the others were still being served, not held to the end.
    expect(idleClosedAt, 'the idle keep-alive connection was never closed').not.toBeNull();
    expect(idleClosedAt!).toBeLessThan(Math.min(...answers.map((a) => a.at)));
    expect(exit, `did not exit within ${EXIT_WITHIN_MS} ms of the last answer:\n${mock.output()}`).not.toBeNull();
    expect(exit!.at - lastAnswer).toBeLessThan(EXIT_WITHIN_MS);
    expect(exit).toMatchObject({ code: 0, signal: null });
  }, 120_000); // a spawned mock starts in 2–6 s on a loaded machine; every wait inside is bounded
});
