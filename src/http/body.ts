/**
 * Step 4 of the pipeline: the body. Size is checked against the operation's `x-traceloom-max-body`
 * before the body is read whole (Content-Length first, then while streaming); a
 * `Content-Encoding: gzip` body is decompressed as it arrives and the limit applies to its
 * decompressed size; then media type, then JSON, or a binary media type's codec (OTLP protobuf).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGunzip } from 'node:zlib';
import type { BodyCodec } from '../otlp/index.js';

/** Why a body was refused; the pipeline turns it into a problem. */
export type BodyFault =
  | { code: 'payload_too_large'; limit: number; decompressed: boolean }
  | { code: 'unsupported_media_type'; detail: string }
  | { code: 'malformed_json'; detail: string }
  | { code: 'malformed_body'; detail: string };

/** A body read whole: its bytes (decompressed), its JSON value, and whether a codec made that value. */
export type BodyResult = { ok: true; raw: Buffer; json: unknown; mediaType: string | null; decoded: boolean } | { ok: false; fault: BodyFault };

/** What an operation's body may be. */
export interface BodyRules {
  /** Most bytes, after decompression. */
  limit: number;
  /** Media types it accepts. */
  accepted: string[];
  /** Content codings it decodes besides identity (the contract's `Content-Encoding` parameter). */
  encodings: string[];
  /** Codecs for its binary media types. */
  codecs?: Record<string, BodyCodec>;
  /** `METHOD /path`, for details. */
  where: string;
}

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

/** The media type of a Content-Type value, lower-cased, without parameters. */
export function mediaTypeOf(header: string | undefined): string | null {
  if (!header) return null;
  return header.split(';', 1)[0]!.trim().toLowerCase() || null;
}

/** The content codings of a Content-Encoding value, lower-cased, in order, without `identity`. */
export function codingsOf(header: string | string[] | undefined): string[] {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  return value
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c && c !== 'identity')
    .map((c) => (c === 'x-gzip' ? 'gzip' : c)); // RFC 9110 §8.4.1.3: x-gzip is gzip
}

type Gunzipped = { ok: true; raw: Buffer } | { ok: false; fault: BodyFault };

/**
 * Decompresses a gzip request body as it arrives, holding at most `limit` decompressed bytes:
 * once the output passes `limit` (a gzip bomb) it stops inflating and drains the rest unread.
 */
export function gunzipLimited(req: IncomingMessage, limit: number): Promise<Gunzipped> {
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
    const stop = (result: Gunzipped) => {
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
    gunzip.on('error', (err: Error) => {
      const reason = err.message === 'unexpected end of file' ? 'it ends before the gzip stream does: truncated' : err.message;
      stop({
        ok: false,
        fault: {
          code: 'malformed_body',
          detail: `The gzip body cannot be decompressed (${reason}); send a complete gzip stream, or the body without Content-Encoding.`,
        },
      });
    });
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

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Reads, decompresses and parses (or decodes) a request body by an operation's {@link BodyRules}. */
export async function readBody(req: IncomingMessage, rules: BodyRules): Promise<BodyResult> {
  const { limit, accepted, where } = rules;
  const mediaType = mediaTypeOf(req.headers['content-type']);
  const codings = codingsOf(req.headers['content-encoding']);
  let raw: Buffer;
  if (codings.length === 0) {
    const read = await readLimited(req, limit);
    if (read === null) return { ok: false, fault: { code: 'payload_too_large', limit, decompressed: false } };
    raw = read;
  } else if (codings.length === 1 && codings[0] === 'gzip' && rules.encodings.includes('gzip')) {
    const read = await gunzipLimited(req, limit);
    if (!read.ok) return read;
    raw = read.raw;
  } else {
    req.resume();
    const supported = rules.encodings.length
      ? `send ${[...rules.encodings, 'identity'].join(' or ')} (or no Content-Encoding)`
      : 'send the body without Content-Encoding (identity)';
    return {
      ok: false,
      fault: { code: 'unsupported_media_type', detail: `Content-Encoding ${codings.join(', ')} is not accepted by ${where}; ${supported}.` },
    };
  }
  if (raw.length === 0 && mediaType === null) return { ok: true, raw, json: undefined, mediaType, decoded: false };
  if (mediaType === null || !accepted.includes(mediaType)) {
    return {
      ok: false,
      fault: { code: 'unsupported_media_type', detail: `Content-Type ${mediaType ?? '(none)'} is not accepted here; send ${accepted.join(' or ')}.` },
    };
  }
  if (mediaType !== 'application/json' && !mediaType.endsWith('+json')) {
    const codec = rules.codecs?.[mediaType];
    if (!codec) return { ok: true, raw, json: undefined, mediaType, decoded: false };
    const decoded = codec.decode(raw);
    if (!decoded.ok) return { ok: false, fault: { code: 'malformed_body', detail: decoded.detail } };
    return { ok: true, raw, json: decoded.value, mediaType, decoded: true };
  }
  let text: string;
  try {
    text = decoder.decode(raw);
  } catch {
    return { ok: false, fault: { code: 'malformed_json', detail: 'The body is not valid UTF-8.' } };
  }
  try {
    return { ok: true, raw, json: JSON.parse(text), mediaType, decoded: false };
  } catch (err) {
    const message = (err as Error).message.replace(/^JSON\.parse: /, '');
    return { ok: false, fault: { code: 'malformed_json', detail: `The body is not valid JSON: ${message}.` } };
  }
}
