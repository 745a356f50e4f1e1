/**
 * The OTLP protobuf messages, from the official opentelemetry-proto definitions (vendored
 * unchanged in proto/, see proto/README.md), built once on first use from their protobufjs JSON
 * descriptor (`generated/otlp-proto.ts`, generated from proto/ and drift-checked): no .proto file
 * is parsed at run time, so this works without a file system (the MSW handlers in a browser).
 * @module
 */
import protobuf from 'protobufjs/light.js';
import { OTLP_TRACE_PROTO_JSON } from '../../generated/otlp-proto.js';

export interface TraceMessages {
  request: protobuf.Type;
  response: protobuf.Type;
}

let messages: TraceMessages | null = null;

/** `ExportTraceServiceRequest` and `ExportTraceServiceResponse`, built once. */
export function traceMessages(): TraceMessages {
  if (messages) return messages;
  const root = protobuf.Root.fromJSON(JSON.parse(OTLP_TRACE_PROTO_JSON) as protobuf.INamespace);
  root.resolveAll();
  messages = {
    request: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
    response: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
  };
  return messages;
}
