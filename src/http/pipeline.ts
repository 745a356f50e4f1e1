/**
 * The request pipeline shared by the mock (on node:http) and the server stubs (mounted in
 * Express). Its steps run in this order, and each ordering rule has a test:
 *
 *  1. request id   2. CORS (preflight answered)   3. route (404)
 *  4. body: size before reading (413), content coding (415; gzip inflated under the same limit),
 *     media type (415), JSON or a binary codec such as OTLP protobuf (400), item count (400)
 *  5. auth (401)   6. scopes (403)
 *  7. policy: plan gate, caps (402), rate limits (429), quotas (402), store down (503)
 *  8. tenant state: archived project (403)   9. parameters (400) and body (422) validation
 * 10. idempotency replay (409 on reuse)   11. dispatch to the operation's handler
 * 12. usage recorded for a 2xx; a 2xx to a binary body encoded back in its media type (OTLP
 *     protobuf in, protobuf out); rate-limit headers on every answer once the caller is known
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ContractModel, OpenApiDocument, OperationModel, Router } from '../contract/index.js';
import { decide, rateLimitHeaders, StoreUnavailableError, unavailable, type Clock, type Decision, type FailMode, type PolicyStore } from '../policy/index.js';
import { authenticate, checkScopes, CREDENTIAL_QUERY, type Directory, type Principal } from './auth.js';
import { lingerClose, readBody } from './body.js';
import { applyCors, type CorsOptions } from './cors.js';
import { bodyDigest, IDEMPOTENCY_TTL_MS, MemoryIdempotencyStore, type IdempotencyStore } from './idempotency.js';
import { metersOf } from './meters.js';
import { bodyCodecs } from '../otlp/index.js';
import { requestIdOf } from './request-id.js';
import { send, sendProblem, type HeaderMap, type ProblemContext } from './respond.js';
import type { RequestValidator } from './validate.js';

/** What the pipeline needs to know about tenants beyond their keys. */
export interface TenantDirectory extends Directory {
  planOf(tenantId: string): string | Promise<string>;
  projectStatus(tenantId: string, projectId: string): 'active' | 'archived' | null | Promise<'active' | 'archived' | null>;
  /** How many of a capped resource the tenant has now. */
  capUsed(tenantId: string, cap: string): number | Promise<number>;
}

/** A request that passed every step, as handed to an operation's handler. */
export interface OperationRequest {
  operation: OperationModel;
  method: string;
  url: URL;
  params: Record<string, string>;
  query: Record<string, unknown>;
  headers: IncomingMessage['headers'];
  body: unknown;
  raw: Buffer | undefined;
  /** The request's media type as sent. */
  mediaType: string | null;
  /** The body came in a binary media type (OTLP protobuf) and `body` is its JSON form. */
  decoded: boolean;
  principal: Principal | null;
  requestId: string;
  /** Units per meter the request would add, from `x-traceloom-quota`. */
  meters: Record<string, number>;
  /** The policy decision that admitted it; null on public operations. */
  decision: Decision | null;
}

/** A handler's answer: a body with its status, or a registry error code with its members. */
export type Answer =
  | { status: number; body?: unknown; headers?: HeaderMap; contentType?: string; usage?: Record<string, number> }
  | { problem: string; members?: Record<string, unknown>; headers?: HeaderMap };

export type Dispatch = (request: OperationRequest) => Promise<Answer> | Answer;

export interface PipelineOptions {
  model: ContractModel;
  document: OpenApiDocument;
  router: Router;
  validator: RequestValidator;
  store: PolicyStore;
  clock: Clock;
  directory: TenantDirectory;
  jwtSecret?: Uint8Array | null;
  cors?: CorsOptions;
  failMode?: FailMode;
  idempotency?: IdempotencyStore;
  /** Called once per finished request (the mock's request log). */
  onResponse?: (entry: LogEntry) => void;
}

export interface LogEntry {
  method: string;
  path: string;
  status: number;
  requestId: string;
  keyId: string | null;
  /** Tenant of the authenticated caller, or null before (or without) authentication. */
  tenantId: string | null;
  remaining: number | null;
  /** The problem `code` of an error answer, or null. */
  code: string | null;
  /** The answer's headers as the pipeline wrote them (read-only; the console picks the rate-limit ones); {} when none. */
  headers: Readonly<HeaderMap>;
  ms: number;
}

export interface Pipeline {
  /** Answers one request completely; never rejects. */
  handle(req: IncomingMessage, res: ServerResponse, dispatch: Dispatch): Promise<void>;
  readonly options: PipelineOptions;
}

const DEFAULT_MAX_BODY = 1024 * 1024;

/** Discards a body the operation does not take; a request without one needs nothing. */
function drain(req: IncomingMessage): void {
  if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) req.resume();
}

/** The log entry while the request runs; `headers` is the answer's header map as it is built. */
type PartialLog = Partial<LogEntry>;

const NO_HEADERS: Readonly<HeaderMap> = Object.freeze({});

/** Builds the pipeline once; `handle` runs the numbered steps for each request. */
export function createPipeline(options: PipelineOptions): Pipeline {
  const idempotency = options.idempotency ?? new MemoryIdempotencyStore();
  const opts: PipelineOptions = { ...options, idempotency };

  async function run(req: IncomingMessage, res: ServerResponse, dispatch: Dispatch, log: PartialLog): Promise<void> {
    const { model, clock } = opts;
    // 1. Request id.
    const requestId = requestIdOf(req.headers['x-request-id']);
    log.requestId = requestId;
    // Every header of the answer is collected here and written once (see `send`).
    const out: HeaderMap = { 'X-Request-Id': requestId };
    // 2. CORS.
    if (applyCors(req, res, out as Record<string, string>, opts.cors)) return;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const ctx: ProblemContext = { model, requestId, instance: url.pathname, headers: out, onProblem: (code, headers) => Object.assign(log, { code, headers }) };
    log.headers = out;
    // 3. Route.
    const match = opts.router.match(req.method ?? 'GET', url.pathname);
    if (!match.operation) {
      const allowed = match.allowed;
      drain(req);
      return sendProblem(res, ctx, 'not_found', {
        detail: allowed.length ? `${req.method} is not defined for ${url.pathname}; use ${allowed.join(', ')}.` : `No operation at ${url.pathname}.`,
      }, allowed.length ? { Allow: allowed.join(', ') } : {});
    }
    const op = match.operation;
    // 4. Body: size before reading, media type, JSON, item count.
    let body: unknown;
    let raw: Buffer | undefined;
    let mediaType: string | null = null;
    let decoded = false;
    const codecs = bodyCodecs[op.operationId];
    if (op.requestContentTypes.length > 0) {
      const read = await readBody(req, { limit: op.maxBodyBytes ?? DEFAULT_MAX_BODY, accepted: op.requestContentTypes, encodings: op.contentEncodings, codecs, where: `${op.method} ${op.path}` });
      if (!read.ok) {
        const f = read.fault;
        if (f.code === 'payload_too_large') {
          out.Connection = 'close';
          lingerClose(req, res, f.limit);
          const what = f.decompressed ? 'The body decompresses to more than' : 'The body exceeds';
          return sendProblem(res, ctx, f.code, { detail: `${what} ${f.limit} bytes, the limit of ${op.method} ${op.path}.`, limit: f.limit });
        }
        return sendProblem(res, ctx, f.code, { detail: f.detail });
      }
      ({ raw, json: body, mediaType, decoded } = read);
      if (op.maxItems && body && typeof body === 'object') {
        const items = (body as Record<string, unknown>)[op.maxItems.field];
        if (Array.isArray(items) && items.length > op.maxItems.max) {
          return sendProblem(res, ctx, 'batch_too_large', {
            detail: `The batch holds ${items.length} items in \`${op.maxItems.field}\`; at most ${op.maxItems.max} are accepted per request.`,
            limit: op.maxItems.max,
          });
        }
      }
    } else {
      drain(req);
    }
    for (const name of url.searchParams.keys()) {
      if (CREDENTIAL_QUERY.test(name)) {
        return sendProblem(res, ctx, 'invalid_request', { detail: `Credentials are never accepted in the query string (\`${name}\`); send them in a header.` });
      }
    }
    // 5–6. Auth and scopes (public operations skip both).
    let principal: Principal | null = null;
    if (op.security.length > 0) {
      const auth = await authenticate(req.headers, { directory: opts.directory, jwtSecret: opts.jwtSecret, now: () => clock.now() });
      if (!auth.ok) return sendProblem(res, ctx, auth.code, { detail: auth.detail }, { 'WWW-Authenticate': 'Bearer realm="traceloom"' });
      principal = auth.principal;
      log.keyId = principal.keyId;
      log.tenantId = principal.tenantId;
      const refused = checkScopes(principal, op.security);
      if (refused) return sendProblem(res, ctx, refused.code, { detail: refused.detail });
    }
    // 7. Policy.
    const meters = metersOf(op, body);
    let decision: Decision | null = null;
    let rlHeaders: Record<string, string> = {};
    if (principal && (op.policies.length > 0 || op.plan || op.cap || op.quotas.length > 0)) {
      const tenantId = principal.tenantId;
      decision = await decide(
        {
          operation: op,
          plan: await opts.directory.planOf(tenantId),
          tenantId,
          apiKeyId: principal.keyId,
          ip: req.socket.remoteAddress ?? null,
          meters,
          capUsed: op.cap ? await opts.directory.capUsed(tenantId, op.cap) : null,
        },
        model,
        opts.store,
        clock,
        { failMode: opts.failMode },
      );
      rlHeaders = op.policies.length > 0 ? rateLimitHeaders(decision, clock.now()) : {};
      Object.assign(out, rlHeaders);
      const tightest = decision.perPolicy.reduce<number | null>((min, s) => (min === null || s.remaining < min ? s.remaining : min), null);
      log.remaining = tightest;
      if (decision.degraded && decision.allowed) out['X-Traceloom-Degraded'] = 'rate-limit-store-unavailable';
      if (!decision.allowed) {
        const extra: HeaderMap = decision.retryAfter !== null ? { 'Retry-After': String(decision.retryAfter) } : {};
        return sendProblem(res, ctx, decision.code ?? 'internal_error', { ...(decision.problem ?? {}) }, extra);
      }
    }
    // 8. Tenant state: an archived project refuses the operations that document it.
    if (principal?.projectId && op.errorCodes.includes('project_archived') && (await opts.directory.projectStatus(principal.tenantId, principal.projectId)) === 'archived') {
      return sendProblem(res, ctx, 'project_archived', {
        detail: `Project ${principal.projectId} is archived; unarchive it to resume ingest.`,
        project_id: principal.projectId,
      });
    }
    // 9. Validation.
    const params = opts.validator.params(op, { path: match.params, query: url.searchParams, headers: req.headers });
    if (!params.ok) return sendProblem(res, ctx, params.code, { detail: params.errors.map((e) => e.message).join('; '), errors: params.errors });
    // A decoded binary body is checked as its JSON form is: the same limits in either encoding.
    const checked = opts.validator.body(op, decoded ? 'application/json' : mediaType, body);
    if (!checked.ok) {
      return sendProblem(res, ctx, checked.code, { detail: `The body has ${checked.errors.length} problem${checked.errors.length === 1 ? '' : 's'}.`, errors: checked.errors });
    }
    // 10. Idempotency.
    const idemKey = op.method === 'POST' && principal ? req.headers['idempotency-key'] : undefined;
    const storeKey = typeof idemKey === 'string' ? `${op.operationId}:${idemKey}` : null;
    const digest = storeKey ? bodyDigest(raw) : '';
    if (storeKey) {
      const kept = await idempotency.get(principal!.tenantId, storeKey, clock.now());
      const prior = kept && kept.expiresAt > clock.now() ? kept : undefined;
      if (prior && prior.bodyDigest !== digest) {
        return sendProblem(res, ctx, 'idempotency_key_reused', { detail: `Idempotency-Key ${idemKey} was first used with a different body.` });
      }
      if (prior) return send(res, prior.status, prior.body, { ...out, ...prior.headers, 'Idempotent-Replayed': 'true' }, prior.contentType);
    }
    // 11. Dispatch.
    const answer = await dispatch({ operation: op, method: op.method, url, params: match.params, query: params.query, headers: req.headers, body, raw, mediaType, decoded, principal, requestId, meters, decision });
    if ('problem' in answer) return sendProblem(res, ctx, answer.problem, answer.members ?? {}, answer.headers ?? {});
    // 12. Usage and the answer.
    if (principal && answer.status < 300 && op.quotas.length > 0) {
      const usage = answer.usage ?? meters;
      if (Object.values(usage).some((n) => n > 0)) await opts.store.recordUsage(principal.tenantId, usage, clock.now()).catch(() => undefined);
    }
    let contentType = answer.contentType ?? 'application/json';
    let answerBody = answer.body;
    const codec = decoded && mediaType ? codecs?.[mediaType] : undefined;
    if (codec && answer.status < 300 && contentType === 'application/json') {
      answerBody = codec.encode(answer.body);
      contentType = mediaType!;
    }
    const headers: HeaderMap = answer.headers ? Object.assign(out, answer.headers) : out;
    if (storeKey) {
      headers['Idempotent-Replayed'] = 'false';
      // Only successes are kept, as for `{problem}` answers and earlier refusals (which never get
      // here): a replayed problem would carry the first request's request_id, and its cause may be gone.
      if (answer.status < 400) {
        const stored = Object.fromEntries(Object.entries(answer.headers ?? {}).map(([k, v]) => [k, String(v)]));
        // Not kept (store fault): the answer still goes out; a retry then runs again instead of replaying.
        await Promise.resolve(idempotency.set(principal!.tenantId, storeKey, { bodyDigest: digest, status: answer.status, body: answerBody, headers: stored, contentType, expiresAt: clock.now() + IDEMPOTENCY_TTL_MS })).catch(() => undefined);
      }
    }
    send(res, answer.status, answerBody, headers, contentType);
  }

  return {
    options: opts,
    async handle(req, res, dispatch) {
      const started = performance.now();
      const log: PartialLog = { method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0]!, keyId: null, tenantId: null, remaining: null, code: null };
      try {
        await run(req, res, dispatch, log);
      } catch (err) {
        // A fault in a handler or the store: a problem, never a crash.
        const requestId = log.requestId ?? requestIdOf(undefined);
        const ctx = { model: opts.model, requestId, instance: log.path!, headers: { 'X-Request-Id': requestId } };
        if (!res.headersSent && err instanceof StoreUnavailableError) {
          const r = unavailable(err.store);
          log.code = r.code;
          sendProblem(res, ctx, r.code, r.members, r.headers);
        } else if (!res.headersSent) {
          log.code = 'internal_error';
          sendProblem(res, ctx, 'internal_error', {
            detail: 'An unexpected error occurred; quote the request id to support.',
          });
        } else {
          res.destroy(err as Error);
        }
        if (process.env.TRACELOOM_DEBUG) console.error(err);
      } finally {
        if (opts.onResponse) {
          // One object of a fixed shape: this runs for every request the mock answers.
          opts.onResponse({
            method: log.method!,
            path: log.path!,
            status: res.statusCode,
            requestId: log.requestId ?? '',
            keyId: log.keyId ?? null,
            tenantId: log.tenantId ?? null,
            remaining: log.remaining ?? null,
            code: log.code ?? null,
            headers: log.headers ?? NO_HEADERS,
            ms: performance.now() - started,
          });
        }
      }
    },
  };
}
