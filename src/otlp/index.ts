/**
 * The OTLP stage (issue 13): OTLP/HTTP bodies decoded from protobuf into their OTLP/JSON form and
 * answers encoded back, OTLP spans mapped to Traceloom traces and merged into stored ones. The
 * pipeline (src/http) uses {@link bodyCodecs}; backends call {@link exportTraces}.
 * @module
 */
import { decodeTraceRequest, encodeTraceResponse, type Decoded } from './codec.js';

export { decodeTraceRequest, decodeTraceResponse, encodeTraceResponse, type Decoded } from './codec.js';
export {
  mergeSpans,
  nanosToIso,
  plainValue,
  toSpan,
  toTraces,
  traceRecord,
  MAX_SPANS_PER_TRACE,
  type OtlpTrace,
  type Rejection,
  type TraceloomSpan,
  type TraceRecord,
} from './map.js';
export { exportResponse, exportTraces, spanLimitRefusal, type ExportResult, type TraceStore } from './ingest.js';

/** How a binary request body is decoded into its JSON form, and a 2xx answer encoded back. */
export interface BodyCodec {
  decode(raw: Uint8Array): Decoded;
  encode(body: unknown): Uint8Array;
}

/** Binary codecs by operationId and media type (only the OTLP route takes a binary body). */
export const bodyCodecs: Record<string, Record<string, BodyCodec>> = {
  exportOtlpTraces: { 'application/x-protobuf': { decode: decodeTraceRequest, encode: encodeTraceResponse } },
};
