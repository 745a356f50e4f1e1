/**
 * The HTTP stage: one request pipeline behind a transport seam (exchange.ts), served by the mock
 * on node:http, mounted by the server stubs in Express (node.ts), and run on fetch by the MSW
 * handlers (fetch.ts) (DESIGN §2, §5). This barrel is for Node; a browser imports the modules.
 * @module
 */
export {
  createPipeline,
  type Answer,
  type Dispatch,
  type LogEntry,
  type OperationRequest,
  type Pipeline,
  type PipelineOptions,
  type TenantDirectory,
} from './pipeline.js';
export { digestOf, type Directory, type KeyRecord, type Principal } from './auth.js';
export { EXPOSED_HEADERS, type CorsOptions } from './cors.js';
export { RequestValidator, type ProblemItem } from './validate.js';
export { MemoryIdempotencyStore, type IdempotencyStore } from './idempotency.js';
export { send, sendProblem, type HeaderMap } from './respond.js';
export { requestIdOf } from './request-id.js';
export { collect, metersOf } from './meters.js';
export { answerClientErrors } from './client-error.js';
export { readBody } from './body.js';
export { lingerClose, nodeExchange, NodeExchange } from './node.js';
export { FetchExchange } from './fetch.js';
export type { Exchange, RequestHeaders, ResponseSink } from './exchange.js';
