/**
 * The pipeline on node:http: an {@link Exchange} over Node's IncomingMessage and ServerResponse
 * (the mock's server, and the server stubs mounted in Express), with the body read as it streams
 * in under its limit, gzip inflated by node:zlib, and lingering close for an early 413.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGunzip } from 'node:zlib';
import { gzipFault, type Exchange, type RawBody, type RequestHeaders } from './exchange.js';

/** A node:http request and its response as the pipeline's {@link Exchange}. */
export class NodeExchange implements Exchange {
  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
  ) {}
  get method(): string {
    return this.req.method ?? 'GET';
  }
  get url(): string {
    return this.req.url ?? '/';
  }
  get headers(): RequestHeaders {
    return this.req.headers;
  }
  get remoteAddress(): string | null {
    return this.req.socket.remoteAddress ?? null;
  }
  async read(limit: number, gzip: boolean): Promise<RawBody> {
    if (gzip) return gunzipLimited(this.req, limit);
    const raw = await readLimited(this.req, limit);
    return raw === null ? { ok: false, fault: { code: 'payload_too_large', limit, decompressed: false } } : { ok: true, raw };
  }
  /** A request without a body needs nothing; one with a body is read and dropped so the connection can answer. */
  discard(): void {
    const h = this.req.headers;
    if (h['content-length'] !== undefined || h['transfer-encoding'] !== undefined) this.req.resume();
  }
  refuseBody(limit: number): void {
    lingerClose(this.req, this.res, limit);
  }
}

/** The exchange of a node:http request. */
export const nodeExchange = (req: IncomingMessage, res: ServerResponse): NodeExchange => new NodeExchange(req, res);

/** Reads up to `limit` bytes; resolves `null` as soon as the body is known to be larger. */
export function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume(); // drain without buffering so the connection can answer
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        req.resume();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (!done) reject(err);
    });
  });
}

/**
 * How a refused body is read and thrown away: at most `limits` × the limit more bytes, while the
 * client keeps sending (a pause of `idleMs` ends it), for `totalMs` at most (nginx's
 * `lingering_timeout` and `lingering_time` are the same two bounds).
 */
export const LINGER = { idleMs: 5_000, totalMs: 30_000, limits: 4 };

/**
 * Lingering close (RFC 9112 §9.6) for a 413 sent before the body was read: the complete answer
 * goes out at once, but the connection (`Connection: close`) ends only when the client has sent
 * the rest of its body — within the bounds of {@link LINGER} — so a client that writes its whole
 * body before reading (node-fetch, proxies such as Prism's) reads the 413 instead of failing its
 * write on a closed connection (EPIPE / reset). The wait is for the client going quiet, not a
 * fixed time: a slow upload on a busy machine still gets its answer.
 */
export function lingerClose(req: IncomingMessage, res: ServerResponse, limit: number): void {
  const maxBytes = LINGER.limits * limit;
  const declared = Number(req.headers['content-length']);
  if (req.complete || (Number.isFinite(declared) && declared > limit + maxBytes)) return; // it would be cut anyway
  const end = res.end.bind(res) as () => ServerResponse;
  let release: (() => void) | null = null;
  let done = false;
  let drained = 0;
  const stop = () => {
    if (done) return;
    done = true;
    clearTimeout(idle);
    clearTimeout(total);
    req.off('data', onData);
    release?.();
  };
  const onData = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > maxBytes) return stop();
    idle.refresh();
  };
  // Timers run before I/O is polled: after a stalled event loop (a loaded machine) the idle timer
  // may fire with the client's next chunk already waiting. Judge quiet only after one I/O poll.
  const onIdle = () => {
    const seen = drained;
    setImmediate(() => (drained === seen ? stop() : idle.refresh()));
  };
  const idle = setTimeout(onIdle, LINGER.idleMs);
  const total = setTimeout(stop, LINGER.totalMs);
  req.on('data', onData);
  req.once('end', stop);
  req.once('close', stop);
  // The answer is written in full now; only its end (and so the close) waits.
  res.end = ((chunk?: unknown) => {
    if (chunk !== undefined && typeof chunk !== 'function') res.write(chunk as Buffer | string);
    if (done) return end();
    release = end;
    return res;
  }) as typeof res.end;
}

/**
 * Decompresses a gzip request body as it arrives, holding at most `limit` decompressed bytes:
 * once the output passes `limit` (a gzip bomb) it stops inflating and drains the rest unread.
 */
export function gunzipLimited(req: IncomingMessage, limit: number): Promise<RawBody> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve({ ok: false, fault: { code: 'payload_too_large', limit, decompressed: false } });
  }
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip();
    const chunks: Buffer[] = [];
    let wire = 0;
    let size = 0;
    let done = false;
    const stop = (result: RawBody) => {
      if (done) return;
      done = true;
      chunks.length = 0;
      req.unpipe(gunzip);
      gunzip.destroy();
      req.resume(); // drain without buffering so the connection can answer
      resolve(result);
    };
    req.on('data', (chunk: Buffer) => {
      wire += chunk.length;
      if (wire > limit) stop({ ok: false, fault: { code: 'payload_too_large', limit, decompressed: false } });
    });
    gunzip.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) return stop({ ok: false, fault: { code: 'payload_too_large', limit, decompressed: true } });
      chunks.push(chunk);
    });
    gunzip.on('end', () => {
      if (done) return;
      done = true;
      resolve({ ok: true, raw: Buffer.concat(chunks, size) });
    });
    gunzip.on('error', (err: Error) => stop({ ok: false, fault: gzipFault(err.message) }));
    req.on('error', (err) => {
      if (!done) {
        done = true;
        gunzip.destroy();
        reject(err);
      }
    });
    req.pipe(gunzip);
  });
}
