/**
 * The request pipeline shared by the mock (on node:http), the server stubs (mounted in Express)
 * and the MSW handlers (on fetch), through one transport seam (exchange.ts). Its steps run in
 * this order, and each ordering rule has a test:
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
import type { ContractModel, OpenApiDocument, OperationModel, RouteMatch, Router } from '../contract/index.js';
import { bodyCodecs, type BodyCodec } from '../otlp/index.js';
import {
  decideNow,
  rateLimitHeaders,
  StoreUnavailableError,
  unavailable,
  type Clock,
  type Decision,
  type FailMode,
  type PolicyStore,
} from '../policy/index.js';
import { authenticate, checkScopes, CREDENTIAL_QUERY, type AuthResult, type Directory, type Principal } from './auth.js';
import { readBody } from './body.js';
import { applyCors, type CorsOptions } from './cors.js';
import type { Exchange, RequestHeaders } from './exchange.js';
import { bodyDigest, IDEMPOTENCY_TTL_MS, MemoryIdempotencyStore, type IdempotencyStore } from './idempotency.js';
import { metersOf } from './meters.js';
import { requestIdOf } from './request-id.js';
import { targetOf, type RequestTarget } from './target.js';
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
  /** `?` and the query as sent, or '' (as `url.search`, without building the URL). */
  search: string;
  params: Record<string, string>;
  query: Record<string, unknown>;
  headers: RequestHeaders;
  body: unknown;
  raw: Uint8Array | undefined;
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

const NO_HEADERS: Readonly<HeaderMap> = Object.freeze({});
/** The parameters of a request without a query string (read only). */
const NO_QUERY = new URLSearchParams();

/**
 * The log entry, filled in while the request runs (`headers` is the answer's header map as it is
 * built) and handed to `onResponse` as it is once answered: one object of a fixed shape.
 */
class RequestLog implements LogEntry {
  status = 200;
  requestId = '';
  keyId: string | null = null;
  tenantId: string | null = null;
  remaining: number | null = null;
  code: string | null = null;
  headers: Readonly<HeaderMap> = NO_HEADERS;
  ms = 0;
  constructor(
    readonly method: string,
    readonly path: string,
  ) {}
}

/**
 * A request that passed every step, as its handler gets it. `url` is made when a handler first
 * reads it: most answers need only the path and query the pipeline already has.
 */
class Admitted implements OperationRequest {
  readonly method: string;
  readonly body: unknown;
  readonly raw: Uint8Array | undefined;
  readonly mediaType: string | null;
  readonly decoded: boolean;
  constructor(
    readonly operation: OperationModel,
    private readonly target: RequestTarget,
    readonly params: Record<string, string>,
    readonly query: Record<string, unknown>,
    readonly headers: RequestHeaders,
    read: { body: unknown; raw: Uint8Array | undefined; mediaType: string | null; decoded: boolean },
    readonly principal: Principal | null,
    readonly requestId: string,
    readonly meters: Record<string, number>,
    readonly decision: Decision | null,
  ) {
    this.method = operation.method;
    this.body = read.body;
    this.raw = read.raw;
    this.mediaType = read.mediaType;
    this.decoded = read.decoded;
  }
  get url(): URL {
    return this.target.url();
  }
  get search(): string {
    return this.target.search;
  }
}

/** The least `remaining` of a decision's policies (the request log's figure), or null without any. */
function leastRemaining(decision: Decision): number | null {
  let min: number | null = null;
  for (const s of decision.perPolicy) if (min === null || s.remaining < min) min = s.remaining;
  return min;
}

export interface Pipeline {
  /** Answers one exchange completely (node:http: `nodeExchange(req, res)`; fetch: `FetchExchange`); never rejects. */
  serve(x: Exchange, dispatch: Dispatch): Promise<void>;
  readonly options: PipelineOptions;
}

const DEFAULT_MAX_BODY = 1024 * 1024;
/** `TRACELOOM_DEBUG` set: faults are printed. Read through globalThis: a browser page has no `process`. */
const DEBUG = Boolean((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TRACELOOM_DEBUG);

/** A request's problem context: each problem written is recorded in its log entry (a class, so no closure per request). */
class LoggedProblems implements ProblemContext {
  constructor(
    readonly model: ContractModel,
    readonly requestId: string,
    readonly instance: string,
    readonly headers: HeaderMap,
    private readonly log: RequestLog,
  ) {}

  onProblem(code: string, headers: HeaderMap): void {
    this.log.code = code;
    this.log.headers = headers;
  }
}

/** Builds the pipeline once; `serve` runs the numbered steps for each request. */
export function createPipeline(options: PipelineOptions): Pipeline {
  const idempotency = options.idempotency ?? new MemoryIdempotencyStore();
  const opts: PipelineOptions = { ...options, idempotency };
  const authOptions = { directory: opts.directory, jwtSecret: opts.jwtSecret, now: () => opts.clock.now() };
  const decideOptions = { failMode: opts.failMode };

  /** One request's state between steps; `out` collects every header of the answer (written once, see `send`). */
  interface Flow {
    x: Exchange;
    res: Exchange['res'];
    out: HeaderMap;
    ctx: ProblemContext;
    target: RequestTarget;
    log: RequestLog;
  }
  /** The body as read: JSON (or a binary body's JSON form, with the codec that encodes its answer). */
  interface ReadBody {
    body: unknown;
    raw: Uint8Array | undefined;
    mediaType: string | null;
    decoded: boolean;
    codec?: BodyCodec;
  }
  /** A step either hands on its result or has answered the request (`ANSWERED`). */
  const ANSWERED = Symbol('answered');
  type Step<T> = T | typeof ANSWERED;
  /** A step that waits only when it has something to wait for (`run` awaits a promise, never a value). */
  type Later<T> = T | Promise<T>;
  /** What step 10 hands on for a request with an Idempotency-Key: its answer is kept under `key`. */
  interface Idempotent {
    key: string;
    digest: string;
    tenantId: string;
  }
  const NO_BODY: ReadBody = Object.freeze({ body: undefined, raw: undefined, mediaType: null, decoded: false });

  async function run(x: Exchange, dispatch: Dispatch, log: RequestLog): Promise<void> {
    const flow = begin(x, log); // 1–2
    if (flow === ANSWERED) return;
    const match = route(flow); // 3
    if (match === ANSWERED) return;
    const op = match.operation;
    let read = body(flow, op); // 4
    if (read instanceof Promise) read = await read;
    if (read === ANSWERED) return;
    let principal = authenticateStep(flow, op); // 5–6
    if (principal instanceof Promise) principal = await principal;
    if (principal === ANSWERED) return;
    const meters = metersOf(op, read.body);
    let decision = policy(flow, op, principal, meters); // 7
    if (decision instanceof Promise) decision = await decision;
    if (decision === ANSWERED) return;
    let state = tenantState(flow, op, principal); // 8
    if (state instanceof Promise) state = await state;
    if (state === ANSWERED) return;
    const query = validate(flow, op, match.params, read); // 9
    if (query === ANSWERED) return;
    let idem = replay(flow, op, principal, read.raw); // 10
    if (idem instanceof Promise) idem = await idem;
    if (idem === ANSWERED) return;
    // 11. Dispatch.
    const answer = await dispatch(new Admitted(op, flow.target, match.params, query, x.headers, read, principal, flow.ctx.requestId, meters, decision));
    const done = finish(flow, op, principal, meters, idem, answer, read); // 12
    if (done instanceof Promise) await done;
  }

  /** 1. Request id, 2. CORS (a preflight is answered here). */
  function begin(x: Exchange, log: RequestLog): Step<Flow> {
    const requestId = requestIdOf(x.headers['x-request-id']);
    log.requestId = requestId;
    const out: HeaderMap = { 'X-Request-Id': requestId };
    if (applyCors(x, out as Record<string, string>, opts.cors)) return ANSWERED;
    const target = targetOf(x.url);
    log.headers = out;
    return { x, res: x.res, out, target, log, ctx: new LoggedProblems(opts.model, requestId, target.pathname, out, log) };
  }

  /** 3. Route: 404, with `Allow` when the path exists for other methods. */
  function route(f: Flow): Step<RouteMatch> {
    const match = opts.router.match(f.x.method, f.target.pathname);
    if (match.operation) return match as RouteMatch;
    const allowed = match.allowed;
    f.x.discard();
    sendProblem(
      f.res,
      f.ctx,
      'not_found',
      {
        detail: allowed.length ? `${f.x.method} is not defined for ${f.target.pathname}; use ${allowed.join(', ')}.` : `No operation at ${f.target.pathname}.`,
      },
      allowed.length ? { Allow: allowed.join(', ') } : {},
    );
    return ANSWERED;
  }

  /**
   * 4. Body: size before reading (413), content coding (415; gzip inflated under the limit), media
   * type (415), JSON or a binary codec (400), item count (400); no credentials in the query.
   * An operation without a request body answers at once (nothing to wait for).
   */
  function body(f: Flow, op: OperationModel): Later<Step<ReadBody>> {
    if (op.requestContentTypes.length === 0) {
      f.x.discard();
      return credentialsInQuery(f) ? ANSWERED : NO_BODY;
    }
    return readRequestBody(f, op).then((read) => (read === ANSWERED || credentialsInQuery(f) ? ANSWERED : read));
  }

  /** 4. The body read as the operation declares it (413, 415, 400). */
  async function readRequestBody(f: Flow, op: OperationModel): Promise<Step<ReadBody>> {
    const codecs = bodyCodecs[op.operationId];
    const got = await readBody(f.x, {
      limit: op.maxBodyBytes ?? DEFAULT_MAX_BODY,
      accepted: op.requestContentTypes,
      encodings: op.contentEncodings,
      codecs,
      where: `${op.method} ${op.path}`,
    });
    if (!got.ok) {
      const fault = got.fault;
      if (fault.code === 'payload_too_large') {
        f.out.Connection = 'close';
        f.x.refuseBody(fault.limit);
        const what = fault.decompressed ? 'The body decompresses to more than' : 'The body exceeds';
        sendProblem(f.res, f.ctx, fault.code, { detail: `${what} ${fault.limit} bytes, the limit of ${op.method} ${op.path}.`, limit: fault.limit });
      } else sendProblem(f.res, f.ctx, fault.code, { detail: fault.detail });
      return ANSWERED;
    }
    const read: ReadBody = {
      body: got.json,
      raw: got.raw,
      mediaType: got.mediaType,
      decoded: got.decoded,
      codec: got.decoded && got.mediaType ? codecs?.[got.mediaType] : undefined,
    };
    const items = op.maxItems && read.body && typeof read.body === 'object' ? (read.body as Record<string, unknown>)[op.maxItems.field] : undefined;
    if (op.maxItems && Array.isArray(items) && items.length > op.maxItems.max) {
      sendProblem(f.res, f.ctx, 'batch_too_large', {
        detail: `The batch holds ${items.length} items in \`${op.maxItems.field}\`; at most ${op.maxItems.max} are accepted per request.`,
        limit: op.maxItems.max,
      });
      return ANSWERED;
    }
    return read;
  }

  /** 4. Credentials in the query string are refused (400); true when that answer was sent. */
  function credentialsInQuery(f: Flow): boolean {
    // Without a query string there is nothing to look at (and no URLSearchParams to build).
    if (!f.target.search) return false;
    for (const name of f.target.searchParams.keys()) {
      if (CREDENTIAL_QUERY.test(name)) {
        sendProblem(f.res, f.ctx, 'invalid_request', { detail: `Credentials are never accepted in the query string (\`${name}\`); send them in a header.` });
        return true;
      }
    }
    return false;
  }

  /** 5. Auth (401), 6. scopes (403); public operations skip both. A key the directory has is checked at once. */
  function authenticateStep(f: Flow, op: OperationModel): Later<Step<Principal | null>> {
    if (op.security.length === 0) return null;
    const auth = authenticate(f.x.headers, authOptions);
    return auth instanceof Promise ? auth.then((a) => admit(f, op, a)) : admit(f, op, auth);
  }

  /** 5–6. The caller as authenticated, if it may call the operation. */
  function admit(f: Flow, op: OperationModel, auth: AuthResult): Step<Principal> {
    if (!auth.ok) {
      sendProblem(f.res, f.ctx, auth.code, { detail: auth.detail }, { 'WWW-Authenticate': 'Bearer realm="traceloom"' });
      return ANSWERED;
    }
    f.log.keyId = auth.principal.keyId;
    f.log.tenantId = auth.principal.tenantId;
    const refused = checkScopes(auth.principal, op.security);
    if (!refused) return auth.principal;
    sendProblem(f.res, f.ctx, refused.code, { detail: refused.detail });
    return ANSWERED;
  }

  /**
   * 7. Policy: plan gate, caps (402), rate limits (429), quotas (402), store down (503); rate-limit
   * headers from here on. Decided at once when the plan is known and the store answers synchronously.
   */
  function policy(f: Flow, op: OperationModel, principal: Principal | null, meters: Record<string, number>): Later<Step<Decision | null>> {
    if (!principal || !(op.policies.length > 0 || op.plan || op.cap || op.quotas.length > 0)) return null;
    const tenantId = principal.tenantId;
    const plan = opts.directory.planOf(tenantId);
    const capUsed = op.cap ? opts.directory.capUsed(tenantId, op.cap) : null;
    if (plan instanceof Promise || capUsed instanceof Promise) {
      return Promise.all([plan, capUsed]).then(([p, used]) => decideFor(f, op, principal, meters, p, used));
    }
    return decideFor(f, op, principal, meters, plan, capUsed);
  }

  /** 7. The decision for the caller on its plan. */
  function decideFor(
    f: Flow,
    op: OperationModel,
    principal: Principal,
    meters: Record<string, number>,
    plan: string,
    capUsed: number | null,
  ): Later<Step<Decision>> {
    const facts = { operation: op, plan, tenantId: principal.tenantId, apiKeyId: principal.keyId, ip: f.x.remoteAddress, meters, capUsed };
    const decision = decideNow(facts, opts.model, opts.store, opts.clock, decideOptions);
    return decision instanceof Promise ? decision.then((d) => applyDecision(f, op, d)) : applyDecision(f, op, decision);
  }

  /** 7. Rate-limit headers, the log's figure, and the refusal when the decision is one. */
  function applyDecision(f: Flow, op: OperationModel, decision: Decision): Step<Decision> {
    if (op.policies.length > 0) rateLimitHeaders(decision, opts.clock.now(), f.out);
    f.log.remaining = leastRemaining(decision);
    if (decision.degraded && decision.allowed) f.out['X-Traceloom-Degraded'] = 'rate-limit-store-unavailable';
    if (decision.allowed) return decision;
    const extra: HeaderMap = decision.retryAfter !== null ? { 'Retry-After': String(decision.retryAfter) } : {};
    sendProblem(f.res, f.ctx, decision.code ?? 'internal_error', { ...(decision.problem ?? {}) }, extra);
    return ANSWERED;
  }

  /** 8. Tenant state: an archived project refuses the operations that document it (403); the others pass at once. */
  function tenantState(f: Flow, op: OperationModel, principal: Principal | null): Later<Step<null>> {
    const projectId = principal?.projectId;
    if (!projectId || !op.errorCodes.includes('project_archived')) return null;
    return Promise.resolve(opts.directory.projectStatus(principal.tenantId, projectId)).then((status) => {
      if (status !== 'archived') return null;
      sendProblem(f.res, f.ctx, 'project_archived', { detail: `Project ${projectId} is archived; unarchive it to resume ingest.`, project_id: projectId });
      return ANSWERED;
    });
  }

  /** 9. Parameters (400) and body (422) validation; resolves the typed query. */
  function validate(f: Flow, op: OperationModel, path: Record<string, string>, read: ReadBody): Step<Record<string, unknown>> {
    const params = opts.validator.params(op, { path, query: f.target.search ? f.target.searchParams : NO_QUERY, headers: f.x.headers });
    if (!params.ok) {
      sendProblem(f.res, f.ctx, params.code, { detail: params.errors.map((e) => e.message).join('; '), errors: params.errors });
      return ANSWERED;
    }
    // A decoded binary body is checked as its JSON form is: the same limits in either encoding.
    const checked = opts.validator.body(op, read.decoded ? 'application/json' : read.mediaType, read.body);
    if (checked.ok) return params.query;
    sendProblem(f.res, f.ctx, checked.code, {
      detail: `The body has ${checked.errors.length} problem${checked.errors.length === 1 ? '' : 's'}.`,
      errors: checked.errors,
    });
    return ANSWERED;
  }

  /** 10. Idempotency: a kept answer is replayed; the same key with another body is 409. A request without a key passes at once. */
  function replay(f: Flow, op: OperationModel, principal: Principal | null, raw: Uint8Array | undefined): Later<Step<Idempotent | null>> {
    const idemKey = op.method === 'POST' && principal ? f.x.headers['idempotency-key'] : undefined;
    if (typeof idemKey !== 'string') return null;
    return replayKept(f, op, principal!, idemKey, raw);
  }

  /** 10. The answer kept for this Idempotency-Key, replayed; or what keeping this one needs. */
  async function replayKept(f: Flow, op: OperationModel, principal: Principal, idemKey: string, raw: Uint8Array | undefined): Promise<Step<Idempotent>> {
    const key = `${op.operationId}:${idemKey}`;
    const digest = bodyDigest(raw);
    const now = opts.clock.now();
    const kept = await idempotency.get(principal.tenantId, key, now);
    const prior = kept && kept.expiresAt > now ? kept : undefined;
    if (!prior) return { key, digest, tenantId: principal.tenantId };
    if (prior.bodyDigest !== digest)
      sendProblem(f.res, f.ctx, 'idempotency_key_reused', { detail: `Idempotency-Key ${idemKey} was first used with a different body.` });
    else send(f.res, prior.status, prior.body, { ...f.out, ...prior.headers, 'Idempotent-Replayed': 'true' }, prior.contentType);
    return ANSWERED;
  }

  /** 12. Usage recorded for a 2xx, then the answer written (waits only for a store write it needs). */
  function finish(
    f: Flow,
    op: OperationModel,
    principal: Principal | null,
    meters: Record<string, number>,
    idem: Idempotent | null,
    answer: Answer,
    read: ReadBody,
  ): Later<void> {
    if ('problem' in answer) return sendProblem(f.res, f.ctx, answer.problem, answer.members ?? {}, answer.headers ?? {});
    if (principal && answer.status < 300 && op.quotas.length > 0) {
      const usage = answer.usage ?? meters;
      if (Object.values(usage).some((n) => n > 0)) {
        return opts.store
          .recordUsage(principal.tenantId, usage, opts.clock.now())
          .catch(() => undefined)
          .then(() => respond(f, idem, answer, read));
      }
    }
    return respond(f, idem, answer, read);
  }

  /** 12. A binary request's 2xx encoded back, the answer kept for its Idempotency-Key, then written. */
  function respond(f: Flow, idem: Idempotent | null, answer: Exclude<Answer, { problem: string }>, read: ReadBody): Later<void> {
    let contentType = answer.contentType ?? 'application/json';
    let answerBody = answer.body;
    if (read.codec && answer.status < 300 && contentType === 'application/json') {
      answerBody = read.codec.encode(answer.body); // OTLP: protobuf in, protobuf out
      contentType = read.mediaType!;
    }
    const headers: HeaderMap = answer.headers ? Object.assign(f.out, answer.headers) : f.out;
    if (!idem) return send(f.res, answer.status, answerBody, headers, contentType);
    headers['Idempotent-Replayed'] = 'false';
    // Only successes are kept, as for `{problem}` answers and earlier refusals (which never get
    // here): a replayed problem would carry the first request's request_id, and its cause may be gone.
    if (answer.status >= 400) return send(f.res, answer.status, answerBody, headers, contentType);
    const stored = Object.fromEntries(Object.entries(answer.headers ?? {}).map(([k, v]) => [k, String(v)]));
    const kept = {
      bodyDigest: idem.digest,
      status: answer.status,
      body: answerBody,
      headers: stored,
      contentType,
      expiresAt: opts.clock.now() + IDEMPOTENCY_TTL_MS,
    };
    // Not kept (store fault): the answer still goes out; a retry then runs again instead of replaying.
    return Promise.resolve(idempotency.set(idem.tenantId, idem.key, kept))
      .catch(() => undefined)
      .then(() => send(f.res, answer.status, answerBody, headers, contentType));
  }

  return {
    options: opts,
    async serve(x, dispatch) {
      const started = performance.now();
      const res = x.res;
      const url = x.url;
      const q = url.indexOf('?');
      const log = new RequestLog(x.method, q < 0 ? url : url.slice(0, q));
      try {
        await run(x, dispatch, log);
      } catch (err) {
        // A fault in a handler or the store: a problem, never a crash.
        const requestId = log.requestId || requestIdOf(undefined);
        const ctx = { model: opts.model, requestId, instance: log.path, headers: { 'X-Request-Id': requestId } };
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
        if (DEBUG) console.error(err);
      } finally {
        if (opts.onResponse) {
          log.status = res.statusCode;
          log.ms = performance.now() - started;
          opts.onResponse(log);
        }
      }
    },
  };
}
