/**
 * `traceloom/msw`: MSW 2 request handlers that behave exactly like the mock server, because they
 * run its engine (engine.ts: the same pipeline, policy engine, resources and state) on the
 * intercepted `Request`. One handler per operation of the contract under `baseUrl`, then one
 * for anything else under it (answered 404/405 as the mock answers an unknown route).
 *
 *   const api = createMswHandlers({ policies: ['default=5/1h'] });
 *   const server = setupServer(...api);        // msw/node; or setupWorker(...api) in a browser
 *   await api.control.clock({ advanceSeconds: 3600 });
 *
 * `msw` is a peer dependency: this module imports it, the engine does not.
 * @module
 */
import { http, type HttpHandler } from 'msw';
import { createFetchMock, type FetchMock, type FetchMockOptions, type MockControls } from './engine.js';

export { createFetchMock, MockControlError, type FetchMock, type FetchMockOptions, type MockControls } from './engine.js';

export interface MswOptions extends FetchMockOptions {
  /**
   * Where the app calls the API: an origin, with a path prefix if any (`https://example.com/api`), or
   * a path on the page's own origin in a browser (`/api`); default the contract's first server,
   * `https://api.traceloom.dev`. The prefix is removed before routing, as a proxy would.
   */
  baseUrl?: string;
}

/** The handlers, with the engine's control operations and model beside them. */
export type MswHandlers = HttpHandler[] & {
  readonly control: MockControls;
  readonly engine: FetchMock;
  readonly baseUrl: string;
};

const METHODS = { GET: http.get, POST: http.post, PUT: http.put, PATCH: http.patch, DELETE: http.delete } as const;

/** `/v1/traces/{trace_id}` → `/v1/traces/:trace_id` (MSW's path syntax). */
const mswPath = (path: string) => path.replace(/\{([^}]+)\}/g, ':$1');

/** MSW handlers for every operation of the contract, answering as the mock server does. */
export function createMswHandlers(options: MswOptions = {}): MswHandlers {
  const engine = createFetchMock(options);
  const baseUrl = (options.baseUrl ?? engine.defaultBaseUrl).replace(/\/+$/, '');
  const basePath = new URL(baseUrl, 'http://page.invalid').pathname.replace(/\/+$/, '');
  const resolver = ({ request }: { request: Request }) => engine.fetch(request, basePath);
  const handlers: HttpHandler[] = engine.model.operations.map((op) => {
    const on = METHODS[op.method as keyof typeof METHODS] ?? http.all;
    return on(`${baseUrl}${mswPath(op.path)}`, resolver);
  });
  // Everything else under the base URL: the mock's 404 (or 405-style Allow) problem, CORS preflights.
  handlers.push(http.all(`${baseUrl}/*`, resolver));
  return Object.assign(handlers, { control: engine.control, engine, baseUrl });
}
