/**
 * The mock server (DESIGN §5). Read top to bottom, a request goes:
 *
 *   handle → clock.refresh (shared store only) → control API (controlStage) | docs
 *          | the shared pipeline (src/http, on node:http through nodeExchange)
 *          → dispatch: latency, chaos → a stateful resource (routes.ts) or Prism (answer.ts), via live.ts
 *
 * State lives behind a StateStore (memory, or Redis/Cluster shared by every instance); the
 * contract and fixtures are loaded from files into a {@link Live} (live.ts, built the same way
 * for traceloom/msw) that hot reload replaces whole.
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadContract, type ContractModel } from '../contract/index.js';
import { serveDocs } from '../docs/index.js';
import {
  answerClientErrors,
  nodeExchange,
  readBody,
  requestIdOf,
  send,
  sendProblem,
  type Answer,
  type LogEntry,
  type OperationRequest,
} from '../http/index.js';
import type { ProblemContext } from '../http/respond.js';
import { overridesFromEnv, StoreUnavailableError, unavailable } from '../policy/index.js';
import type { Later } from '../portable/index.js';
import { prismAnswer } from './answer.js';
import { MockClock } from './clock.js';
import { createConsole, type MockConsole } from './console/index.js';
import { loadFixtures } from './fixture-files.js';
import type { Fixtures } from './fixtures.js';
import { answerOperation, buildLive, type Live } from './live.js';
import { requestLog } from './log.js';
import { normaliseOptions, type MockConfig, type MockOptions } from './options.js';
import { PrismResponder } from './prism.js';
import { watchSources } from './reload.js';
import { controlRoute } from './routes.js';
import { openStores, type MockStores } from './stores.js';

export { MockOptionsError, type MockOptions } from './options.js';
export { addSpans, ingestOne } from './resources/index.js';

export interface MockServer {
  url: string;
  port: number;
  close(): Promise<void>;
  /** The live model (after overrides) — for banners and tests. */
  readonly model: ContractModel;
  readonly fixtures: Fixtures;
  /** The underlying node:http server (to attach upgrades, or to emit requests in benchmarks). */
  readonly server: Server;
}

const LOCAL = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
/** How long close() waits for in-flight requests before cutting their connections. */
const DRAIN_TIMEOUT_MS = 10_000;
/** Control bodies are small JSON objects. */
const CONTROL_MAX_BODY = 64 * 1024;

/** Loads the contract and fixtures from files and builds what serves them (live.ts); Prism answers examples. */
async function load(config: MockConfig, stores: MockStores, clock: MockClock, onResponse: ((e: LogEntry) => void) | undefined): Promise<MockLive> {
  const contract = await loadContract(config.root);
  const fixtures = await loadFixtures(contract.model, config.mocksDir);
  const prism = PrismResponder.lazy(contract.document);
  const live = buildLive({
    document: contract.document,
    model: contract.model,
    fixtures,
    policy: stores.policy,
    state: stores.state,
    clock,
    options: {
      limits: config.limits,
      policies: config.policies,
      rateLimit: config.rateLimit,
      fromEnv: overridesFromEnv(config.env),
      failMode: config.failMode,
    },
    onResponse,
    fallback: (ctx) => (req) => prismAnswer({ ...ctx, prism }, req),
  });
  return { ...live, prism };
}

/** A {@link Live} with the Prism instance its fallback uses (warmed after listen). */
type MockLive = Live & { prism: () => Promise<PrismResponder> };

/** Starts a mock server; resolves once it is listening. Throws MockOptionsError on a bad option. */
export async function createMock(options: MockOptions = {}): Promise<MockServer> {
  const config = normaliseOptions(options);
  const stores = openStores(config);
  const clock = new MockClock(stores.state, stores.shared);
  // The console (/__mock/) shows every answered request of this instance; the terminal log too.
  const mockConsole = config.control ? createConsole() : null;
  const log = requestLog(config.log);
  const onResponse =
    log || mockConsole
      ? (e: LogEntry) => {
          mockConsole?.events.request(e);
          log?.(e);
        }
      : undefined;
  let live = await load(config, stores, clock, onResponse);
  // Start enforcing at once rather than degraded: wait (bounded) for Redis; if it is not there,
  // start anyway: `failMode` applies and tenants are seeded on first use once it is.
  await stores.ready(2000);
  await clock.refresh();
  await live.directory
    .seedAll(false)
    .catch((err: Error) => console.error(`traceloom mock: state not seeded yet (${err.message}); tenants are seeded on first use`));

  let closing = false;
  const server = createServer((req, res) => {
    // Draining: answer, then close the connection instead of keeping it alive.
    if (closing) res.setHeader('Connection', 'close');
    void handle(req, res);
  });
  server.keepAliveTimeout = 5000;
  answerClientErrors(server, () => live.model);

  /** 1. The clock: read from a shared store first; a memory clock is always current, so nothing is awaited. */
  function handle(req: IncomingMessage, res: ServerResponse): Later<void> {
    return clock.shared ? clock.refresh().then(() => serveRequest(req, res)) : serveRequest(req, res);
  }

  /** 2. Control API, 3. docs, 4. the API through the shared pipeline. */
  function serveRequest(req: IncomingMessage, res: ServerResponse): Later<void> {
    const url = req.url ?? '/';
    // Only /__mock…, /docs… and /llms… are not API paths: test the first bytes before splitting off the query.
    if (url.startsWith('/__mock') || url.startsWith('/docs') || url.startsWith('/llms')) {
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      if (path === '/__mock' || path.startsWith('/__mock/')) return controlStage(req, res, path, live, config, mockConsole);
      if ((path === '/docs' || path.startsWith('/docs/') || path.startsWith('/llms')) && serveDocs(req, res, { dir: config.docsDir })) return;
    }
    const current = live;
    return current.pipeline.serve(nodeExchange(req, res), (r) => dispatch(r, res, current, config));
  }

  const stopWatching = config.watch
    ? watchSources(config.root, config.mocksDir, async () => {
        const next = await load(config, stores, clock, onResponse);
        await next.directory.seedAll(false);
        live = next;
      })
    : () => undefined;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  // Ready: stateful answers need no Prism. Load it now, in the background, for the first `Prefer`.
  setImmediate(() => void live.prism().catch(() => undefined));
  const port = (server.address() as AddressInfo).port;
  const host = config.host !== '0.0.0.0' ? config.host : '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    get model() {
      return live.model;
    },
    get fixtures() {
      return live.fixtures;
    },
    server,
    async close() {
      stopWatching();
      closing = true;
      mockConsole?.close(); // end the console's event streams, or the drain would wait for them
      await drain(server);
      await stores.close();
    },
  };
}

/** Stop listening, let in-flight requests finish, close idle connections, cut the rest after DRAIN_TIMEOUT_MS. */
function drain(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 20);
    const force = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** Step 11 of the pipeline for the mock: latency, chaos, then a stateful resource or Prism (live.ts). */
function dispatch(req: OperationRequest, res: ServerResponse, live: Live, config: MockConfig): Later<Answer> {
  if (config.latencyMs || config.chaos > 0) return slowOrFaulty(req, res, live, config);
  return answerOperation(live, req);
}

/** Step 11 with `--latency` or `--chaos`: the delay, then perhaps an injected fault, else the answer. */
async function slowOrFaulty(req: OperationRequest, res: ServerResponse, live: Live, config: MockConfig): Promise<Answer> {
  const latency = config.latencyMs;
  if (latency) await new Promise((r) => setTimeout(r, latency[0] + Math.random() * (latency[1] - latency[0])));
  if (config.chaos > 0 && Math.random() < config.chaos) {
    if (Math.random() < 0.5) res.destroy(); // a connection reset
    return { problem: 'internal_error', members: { detail: 'Injected by the mock (--chaos).' } };
  }
  return answerOperation(live, req);
}

/** The control API and the console: localhost only, request id, route, shared body reader (413 over 64 KB), handler. */
async function controlStage(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  live: Live,
  config: MockConfig,
  mockConsole: MockConsole | null,
): Promise<void> {
  const requestId = requestIdOf(req.headers['x-request-id']);
  const ctx: ProblemContext = { model: live.model, requestId, instance: path, headers: { 'X-Request-Id': requestId } };
  const local = config.control && LOCAL.has(req.socket.remoteAddress ?? '');
  if (local && mockConsole?.route(req, res, path)) return; // GET /__mock/ (the page) and /__mock/events
  const route = controlRoute(req.method ?? 'GET', path);
  if (!local || !('run' in route)) {
    req.resume();
    const allowed = 'allowed' in route && config.control ? route.allowed : [];
    return sendProblem(
      res,
      ctx,
      'not_found',
      { detail: allowed.length ? `${req.method} is not a control operation on ${path}; use ${allowed.join(', ')}.` : 'No operation at this path.' },
      allowed.length ? { Allow: allowed.join(', ') } : {},
    );
  }
  const body = await controlBody(req, res, ctx);
  if (body === null) return;
  let answer: Answer;
  try {
    answer = await route.run({ params: route.params, body }, live.control);
  } catch (err) {
    if (process.env.TRACELOOM_DEBUG) console.error(err);
    if (res.headersSent) return void res.destroy();
    // A store fault (Redis down): answer, never leave the request hanging.
    const r = unavailable(err instanceof StoreUnavailableError ? err.store : 'The store behind the control API');
    return sendProblem(res, ctx, r.code, r.members, r.headers);
  }
  if ('problem' in answer) return sendProblem(res, ctx, answer.problem, answer.members ?? {}, answer.headers ?? {});
  send(res, answer.status, answer.body, { ...ctx.headers, ...answer.headers });
}

/** The control body as a JSON object (`{}` when there is none); null when a problem was sent. */
async function controlBody(req: IncomingMessage, res: ServerResponse, ctx: ProblemContext): Promise<Record<string, unknown> | null> {
  const length = req.headers['content-length'];
  if (req.method === 'GET' || length === '0' || (length === undefined && req.headers['transfer-encoding'] === undefined)) {
    req.resume();
    return {};
  }
  const x = nodeExchange(req, res);
  const read = await readBody(x, { limit: CONTROL_MAX_BODY, accepted: ['application/json'], encodings: [], where: 'the control API' });
  if (!read.ok) {
    const f = read.fault;
    if (f.code === 'payload_too_large') {
      ctx.headers!.Connection = 'close';
      x.refuseBody(f.limit);
      sendProblem(res, ctx, f.code, { detail: `The body exceeds ${f.limit} bytes, the limit of the control API.`, limit: f.limit });
    } else sendProblem(res, ctx, f.code, { detail: f.detail });
    return null;
  }
  if (read.json === undefined) return {};
  if (typeof read.json !== 'object' || read.json === null || Array.isArray(read.json)) {
    sendProblem(res, ctx, 'invalid_request', { detail: 'A control body is a JSON object, e.g. {"advance_seconds": 60}.' });
    return null;
  }
  return read.json as Record<string, unknown>;
}
