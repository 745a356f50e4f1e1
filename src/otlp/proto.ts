/**
 * The OTLP protobuf messages, from the official opentelemetry-proto definitions (vendored
 * unchanged in proto/, see proto/README.md) read by protobufjs once, on first use.
 * @module
 */
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { repoRoot } from '../contract/index.js';

/** Where the vendored `.proto` files live (the repository's proto/ folder). */
export const PROTO_DIR = join(repoRoot, 'proto');

const SERVICE = 'opentelemetry/proto/collector/trace/v1/trace_service.proto';

export interface TraceMessages {
  request: protobuf.Type;
  response: protobuf.Type;
}

let messages: TraceMessages | null = null;

/** `ExportTraceServiceRequest` and `ExportTraceServiceResponse`, loaded once. */
export function traceMessages(): TraceMessages {
  if (messages) return messages;
  const root = new protobuf.Root();
  // Imports are written relative to the proto root (`opentelemetry/proto/…`), as protoc expects.
  root.resolvePath = (_origin, target) => join(PROTO_DIR, target);
  root.loadSync(SERVICE);
  root.resolveAll();
  messages = {
    request: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
    response: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
  };
  return messages;
}
