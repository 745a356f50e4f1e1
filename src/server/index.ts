/**
 * Runtime of the generated server stubs (DESIGN §6): `createServer` returns an Express app that
 * mounts the same src/http pipeline as the mock (auth, scopes, policy, validation, problems,
 * rate-limit headers) in front of typed handlers, one per operationId (`generated/server.ts`).
 * An operation without a handler answers 501 `not_implemented`.
 * @module
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express } from 'express';
import { createRouter, readModel, repoRoot, type ContractModel, type OpenApiDocument } from '../contract/index.js';
import {
  answerClientErrors,
  createPipeline,
  digestOf,
  MemoryIdempotencyStore,
  nodeExchange,
  RequestValidator,
  type Answer,
  type CorsOptions,
  type IdempotencyStore,
  type KeyRecord,
  type OperationRequest,
  type Principal,
  type TenantDirectory,
} from '../http/index.js';
import { MemoryStore, problem, type Clock, type FailMode, type PolicyStore } from '../policy/index.js';
import type { Handlers } from '../../generated/server.js';

/** What a handler gets besides its validated request. */
export interface ServerContext {
  principal: Principal | null;
  tenantId: string | null;
  requestId: string;
  /** The problem body for a registry code, ready to return: `return ctx.problem('not_found', {detail})`. */
  problem(code: string, members?: Record<string, unknown>): { status: any; body: any };
  now(): number;
}

/** An API key the server accepts (for a real backend, give a `directory` instead). */
export interface ServerKey {
  key: string;
  id: string;
  tenantId: string;
  scopes: string[];
  projectId?: string | null;
  revoked?: boolean;
}

export interface ServerTenant {
  id: string;
  plan: string;
  projects?: { id: string; status: 'active' | 'archived' }[];
}

export interface ServerOptions {
  handlers: Handlers<ServerContext>;
  /** Rate-limit and usage store; default a MemoryStore. */
  store?: PolicyStore;
  /** Static keys and tenants, or a `directory` that looks them up (and counts capped resources). */
  keys?: ServerKey[];
  tenants?: ServerTenant[];
  directory?: TenantDirectory;
  jwtSecret?: Uint8Array | null;
  clock?: Clock;
  failMode?: FailMode;
  cors?: CorsOptions;
  idempotency?: IdempotencyStore;
  /** The bundled contract; default generated/openapi.json. */
  document?: OpenApiDocument;
  /** The model to enforce (e.g. after `applyOverrides`); default read from `document`. */
  model?: ContractModel;
}

/** A directory over static keys and tenants; caps count nothing (give a directory to enforce them). */
export function staticDirectory(keys: ServerKey[], tenants: ServerTenant[]): TenantDirectory {
  const byDigest = new Map<string, KeyRecord>(
    keys.map((k) => [digestOf(k.key), { id: k.id, tenantId: k.tenantId, scopes: k.scopes, projectId: k.projectId ?? null, revoked: k.revoked ?? false }]),
  );
  const byId = new Map(tenants.map((t) => [t.id, t]));
  return {
    keyByDigest: (d) => byDigest.get(d) ?? null,
    hasTenant: (id) => byId.has(id),
    planOf: (id) => byId.get(id)?.plan ?? 'free',
    projectStatus: (id, project) => byId.get(id)?.projects?.find((p) => p.id === project)?.status ?? null,
    capUsed: () => 0,
  };
}

/** Builds the Express app. */
export function createServer(options: ServerOptions): Express {
  const document = options.document ?? (JSON.parse(readFileSync(join(repoRoot, 'generated', 'openapi.json'), 'utf8')) as OpenApiDocument);
  const model = options.model ?? readModel(document);
  const clock = options.clock ?? { now: () => Date.now() };
  const directory = options.directory ?? staticDirectory(options.keys ?? [], options.tenants ?? []);
  const pipeline = createPipeline({
    model,
    document,
    router: createRouter(model),
    validator: new RequestValidator(document),
    store: options.store ?? new MemoryStore(),
    clock,
    directory,
    jwtSecret: options.jwtSecret ?? null,
    failMode: options.failMode ?? 'open',
    cors: options.cors,
    idempotency: options.idempotency ?? new MemoryIdempotencyStore(),
  });
  const handlers = options.handlers as Record<string, ((request: unknown, ctx: ServerContext) => unknown) | undefined>;

  async function dispatch(req: OperationRequest): Promise<Answer> {
    const handler = handlers[req.operation.operationId];
    if (!handler) {
      return {
        problem: 'not_implemented',
        members: {
          detail: `${req.operation.operationId} (${req.operation.method} ${req.operation.path}) has no handler yet; add one to createServer({handlers}).`,
        },
      };
    }
    const ctx: ServerContext = {
      principal: req.principal,
      tenantId: req.principal?.tenantId ?? null,
      requestId: req.requestId,
      now: () => clock.now(),
      problem: (code, members = {}) => {
        const body = problem(model, code, { instance: req.url.pathname, requestId: req.requestId, ...members });
        return { status: body.status, body };
      },
    };
    // A protobuf body reaches the handler decoded, in its JSON form; the pipeline encodes the answer back.
    const contentType = req.decoded ? 'application/json' : (req.mediaType ?? undefined);
    const result = (await handler({ path: req.params, query: req.query, headers: req.headers, body: req.body, contentType }, ctx)) as {
      status: number;
      body?: unknown;
      headers?: Record<string, string>;
      contentType?: string;
    };
    return {
      status: result.status,
      body: result.body,
      headers: result.headers,
      contentType: result.status >= 400 ? 'application/problem+json' : (result.contentType ?? 'application/json'),
    };
  }

  const app = express();
  app.disable('x-powered-by');
  // The whole API is one middleware: the shared pipeline answers every request itself.
  app.use((req, res) => {
    void pipeline.serve(nodeExchange(req, res), dispatch);
  });
  // `app.listen` returns the node:http server: parser errors (huge headers, bad request lines)
  // are answered as problems there too, as the mock does.
  const listen = app.listen.bind(app);
  app.listen = ((...args: Parameters<typeof listen>) => {
    const server = listen(...args);
    answerClientErrors(server, () => model);
    return server;
  }) as typeof app.listen;
  return app;
}
