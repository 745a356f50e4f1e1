/**
 * The HTTP stage: one request pipeline on Node's own IncomingMessage/ServerResponse, served by
 * the mock on node:http and mounted by the server stubs in Express (DESIGN §2, §5).
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
export { lingerClose, readBody } from './body.js';
