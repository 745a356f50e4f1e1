/**
 * The pipeline on fetch: an {@link Exchange} over a WHATWG `Request`, answered with a `Response`
 * — what the MSW handlers run in Node (msw/node) and in a browser page (MSW's service worker).
 * No `node:` module: the body streams from `request.body` under its limit, gzip is inflated by
 * the platform's `DecompressionStream`.
 * @module
 */
import { gzipFault, type Exchange, type RawBody, type RequestHeaders, type ResponseSink } from './exchange.js';

/** Collects the one answer the pipeline writes, as a `Response`. */
class ResponseCollector implements ResponseSink {
  headersSent = false;
  writableEnded = false;
  statusCode = 200;
  destroyed: Error | null = null;
  private headers: Record<string, string | number | string[]> = {};
  private payload: string | Uint8Array | undefined;

  writeHead(status: number, headers: Record<string, string | number | string[]>): this {
    this.statusCode = status;
    this.headers = headers;
    this.headersSent = true;
    return this;
  }
  end(payload?: string | Uint8Array): this {
    this.payload = payload;
    this.writableEnded = true;
    return this;
  }
  destroy(error?: Error): this {
    this.destroyed = error ?? new Error('The exchange was cut before it was answered.');
    return this;
  }

  /** The answer as a `Response` (a network error, as fetch reports one, when the exchange was cut). */
  toResponse(): Response {
    if (this.destroyed) return Response.error();
    const headers = new Headers();
    for (const [name, value] of Object.entries(this.headers)) {
      if (name.toLowerCase() === 'content-length' || name.toLowerCase() === 'connection') continue; // the Response's own
      if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      else headers.set(name, String(value));
    }
    const empty = this.payload === undefined || this.statusCode === 204 || this.statusCode === 304;
    return new Response(empty ? null : (this.payload as BodyInit), { status: this.statusCode, headers });
  }
}

/** Lower-case header record of a `Headers` (repeated headers arrive joined by `, `). */
function headerRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => (out[name] = value));
  return out;
}

/** Reads a byte stream whole, at most `limit` bytes; null once it passes the limit (the rest is cancelled). */
async function readStream(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array | null> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      // Not awaited: a cancelled branch of a tee'd body (MSW clones requests) settles only when every branch is cancelled.
      reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** A `Request` and the `Response` the pipeline writes for it. */
export class FetchExchange implements Exchange {
  readonly method: string;
  readonly url: string;
  readonly headers: RequestHeaders;
  readonly res = new ResponseCollector();

  /** `basePath`: the API's path prefix on this origin (e.g. `/api`), removed before routing. */
  constructor(
    private readonly request: Request,
    readonly remoteAddress: string | null = null,
    basePath = '',
  ) {
    const url = new URL(request.url);
    this.method = request.method.toUpperCase();
    const path = basePath && (url.pathname === basePath || url.pathname.startsWith(`${basePath}/`)) ? url.pathname.slice(basePath.length) || '/' : url.pathname;
    this.url = path + url.search;
    this.headers = headerRecord(request.headers);
  }

  async read(limit: number, gzip: boolean): Promise<RawBody> {
    const tooLarge = (decompressed: boolean): RawBody => ({ ok: false, fault: { code: 'payload_too_large', limit, decompressed } });
    const declared = Number(this.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return tooLarge(false);
    const body = this.request.body;
    if (!body) return { ok: true, raw: new Uint8Array(0) };
    if (!gzip) {
      const raw = await readStream(body, limit);
      return raw ? { ok: true, raw } : tooLarge(false);
    }
    // The wire bytes are bounded too: a body that is larger compressed than the limit is refused as sent.
    let wire = 0;
    let wireOver = false;
    const counted = body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          wire += chunk.byteLength;
          if (wire > limit) {
            wireOver = true;
            controller.terminate();
          } else controller.enqueue(chunk);
        },
      }),
    );
    try {
      const raw = await readStream(counted.pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>), limit);
      if (wireOver) return tooLarge(false);
      return raw ? { ok: true, raw } : tooLarge(true);
    } catch (err) {
      return wireOver ? tooLarge(false) : { ok: false, fault: gzipFault((err as Error).message) };
    }
  }

  /** Nothing to drain: an unread `Request` body is simply dropped. */
  discard(): void {}

  /** No connection to keep open: the 413 is the whole answer. */
  refuseBody(): void {}

  /** The pipeline's answer. */
  response(): Response {
    return this.res.toResponse();
  }
}
