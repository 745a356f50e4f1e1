/**
 * The `traceloom` package (DESIGN §9): the SDK client, the server-stub factory, the mock factory
 * and the types generated from the contract.
 * @module
 */
export { createClient, TraceloomError, isTraceloomError, toTraceloomError, unwrap, type ClientOptions, type TraceloomClient } from './client/index.js';
export { createServer, staticDirectory, type ServerContext, type ServerOptions, type ServerKey, type ServerTenant } from './server/index.js';
export { createMock, type MockOptions, type MockServer } from './mock/index.js';
export type { paths, components, operations } from '../generated/types.js';
export type { Handlers, OperationId } from '../generated/server.js';
