/**
 * Step 4 of the pipeline: the body. Size is checked against the operation's `x-traceloom-max-body`
 * before the body is read whole (Content-Length first, then while streaming); a
 * `Content-Encoding: gzip` body is decompressed as it arrives and the limit applies to its
 * decompressed size; then media type, then JSON, or a binary media type's codec (OTLP protobuf).
 * @module
 */
import type { BodyCodec } from '../otlp/index.js';
import type { BodyFault, Exchange } from './exchange.js';

export type { BodyFault } from './exchange.js';

/** A body read whole: its bytes (decompressed), its JSON value, and whether a codec made that value. */
export type BodyResult = { ok: true; raw: Uint8Array; json: unknown; mediaType: string | null; decoded: boolean } | { ok: false; fault: BodyFault };

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

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Reads, decompresses and parses (or decodes) a request body by an operation's {@link BodyRules}. */
export async function readBody(x: Exchange, rules: BodyRules): Promise<BodyResult> {
  const { limit, accepted, where } = rules;
  const mediaType = mediaTypeOf(x.headers['content-type'] as string | undefined);
  const codings = codingsOf(x.headers['content-encoding']);
  let raw: Uint8Array;
  const gzip = codings.length === 1 && codings[0] === 'gzip' && rules.encodings.includes('gzip');
  if (codings.length === 0 || gzip) {
    const read = await x.read(limit, gzip);
    if (!read.ok) return read;
    raw = read.raw;
  } else {
    x.discard();
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
