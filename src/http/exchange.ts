/**
 * The pipeline's transport seam: one request and its answer, whatever carries them — node:http
 * (the mock, and the server stubs in Express: `node.ts`) or a fetch `Request` (the MSW handlers:
 * `fetch.ts`). The pipeline, and every module it imports, reads requests and writes answers only
 * through these two interfaces, so the same steps run in Node and in a browser page.
 * @module
 */

/** Request headers with lower-case names, as node:http gives them. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** Why a body was refused; the pipeline turns it into a problem. */
export type BodyFault =
  | { code: 'payload_too_large'; limit: number; decompressed: boolean }
  | { code: 'unsupported_media_type'; detail: string }
  | { code: 'malformed_json'; detail: string }
  | { code: 'malformed_body'; detail: string };

/** A body's bytes as read (decompressed), or why they were not. */
export type RawBody = { ok: true; raw: Uint8Array } | { ok: false; fault: BodyFault };

/** Where an answer is written: Node's ServerResponse is one as it is. */
export interface ResponseSink {
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  /** The status written (200 until then). */
  readonly statusCode: number;
  writeHead(status: number, headers: Record<string, string | number | string[]>): unknown;
  end(payload?: string | Uint8Array): unknown;
  /** Cuts the exchange (a fault after the answer started, or injected chaos). */
  destroy(error?: Error): unknown;
}

/** One request as the pipeline sees it, with the sink its answer goes to. */
export interface Exchange {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: RequestHeaders;
  /** The peer's address, when the transport has one. */
  readonly remoteAddress: string | null;
  /**
   * The body's bytes, at most `limit` of them; with `gzip` the body is inflated as it arrives and
   * the limit applies to the inflated bytes. Resolves with the fault once the limit is passed.
   */
  read(limit: number, gzip: boolean): Promise<RawBody>;
  /** Throws away a body the answer does not need. */
  discard(): void;
  /** A 413 is about to go out before the body was read: let the client finish sending first. */
  refuseBody(limit: number): void;
  readonly res: ResponseSink;
}

/** The gzip fault's detail, from the inflater's message. */
export function gzipFault(message: string): BodyFault {
  const reason = /unexpected end of file|incomplete|truncated/i.test(message) ? 'it ends before the gzip stream does: truncated' : message;
  return {
    code: 'malformed_body',
    detail: `The gzip body cannot be decompressed (${reason}); send a complete gzip stream, or the body without Content-Encoding.`,
  };
}
