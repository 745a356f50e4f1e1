/**
 * OTLP/HTTP protobuf ⇄ OTLP/JSON. A protobuf `ExportTraceServiceRequest` is decoded into the
 * same object OTLP/JSON would carry (lowerCamelCase names, hex trace and span ids, 64-bit
 * integers as decimal strings, enums as integers; OTLP spec "OTLP/HTTP" and "JSON Protobuf
 * Encoding"), so validation, meters and mapping see one shape whatever the encoding; the answer
 * is encoded back to protobuf.
 * @module
 */
import { fromBase64, toHex } from '../portable/index.js';
import { traceMessages } from './proto.js';

/** A decoded body, or why it could not be decoded. */
export type Decoded = { ok: true; value: Record<string, unknown> } | { ok: false; detail: string };

const TO_OBJECT = { longs: String, enums: Number, bytes: String, defaults: false, arrays: false, json: true } as const;

const hexOf = (base64: unknown) => (typeof base64 === 'string' ? toHex(fromBase64(base64)) : base64);

/** OTLP/JSON writes trace and span ids as hex, not base64 as proto3 JSON would. */
function idsToHex(request: Record<string, any>): void {
  for (const rs of request.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        for (const field of ['traceId', 'spanId', 'parentSpanId']) if (field in span) span[field] = hexOf(span[field]);
        for (const link of span.links ?? []) for (const field of ['traceId', 'spanId']) if (field in link) link[field] = hexOf(link[field]);
      }
    }
  }
}

/** Decodes a protobuf `ExportTraceServiceRequest` into its OTLP/JSON form; unknown fields are skipped. */
export function decodeTraceRequest(raw: Uint8Array): Decoded {
  const { request } = traceMessages();
  let value: Record<string, any>;
  try {
    value = request.toObject(request.decode(raw), TO_OBJECT);
  } catch (err) {
    const reason = (err as Error).message.replace(/\s+/g, ' ').slice(0, 200);
    return {
      ok: false,
      detail: `The body is not an OTLP ExportTraceServiceRequest in protobuf (${reason}). Send what an OpenTelemetry OTLP/HTTP exporter encodes, or OTLP/JSON as application/json.`,
    };
  }
  idsToHex(value);
  return { ok: true, value };
}

/** Encodes an `ExportTraceServiceResponse` given in its OTLP/JSON form (`{}` or `{partialSuccess}`). */
export function encodeTraceResponse(body: unknown): Uint8Array {
  const { response } = traceMessages();
  return response.encode(response.fromObject((body ?? {}) as Record<string, unknown>)).finish();
}

/** Decodes an `ExportTraceServiceResponse` (for tests and clients) into its OTLP/JSON form. */
export function decodeTraceResponse(raw: Uint8Array): Record<string, unknown> {
  const { response } = traceMessages();
  return response.toObject(response.decode(raw), TO_OBJECT);
}
