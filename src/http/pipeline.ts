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
 *
 * A step waits only when it has something to wait for (a body to read, a store on Redis): on
 * stores in memory a request is answered before `serve` returns, with no promise made.
 * @module
 */
import type { ContractModel, OpenApiDocument, OperationModel, RouteMatch, Router } from '../contract/index.js';
import { bodyCodecs, type BodyCodec } from '../otlp/index.js';
import type { Later } from '../portable/index.js';
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
  planOf(tenantId: string): Later<string>;
  projectStatus(tenantId: string, projectId: string): Later<'active' | 'archived' | null>;
  /** How many of a capped resource the tenant has now. */
  capUsed(tenantId: string, cap: string): Later<number>;
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

export type Dispatch = (request: OperationRequest) => Later<Answer>;

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
const NO_VALUES: Record<string, never> = Object.freeze({});

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

/** The body as read: JSON (or a binary body's JSON form, with the codec that encodes its answer). */
interface ReadBody {
  body: unknown;
  raw: Uint8Array | undefined;
  mediaType: string | null;
  decoded: boolean;
  codec?: BodyCodec;
}
const NO_BODY: ReadBody = Object.freeze({ body: undefined, raw: undefined, mediaType: null, decoded: false });

/** What step 10 hands on for a request with an Idempotency-Key: its answer is kept under `key`. */
interface Idempotent {
  key: string;
  digest: string;
  tenantId: string;
}

/** What a step returns when it has written the answer: the steps after it do not run. */
const ANSWERED = Symbol('answered');
/**
 * What a step returns: `ANSWERED`, or nothing for the next step to go on (its result is on the
 * {@link Flow}); a promise of either when it waits for something (`run` waits only then).
 */
type Outcome = typeof ANSWERED | void;

/**
 * One request with an operation, on its way through steps 4–12: what it came with, and each
 * step's result for the steps after it (the initial value until that step has run). `out`
 * collects every header of the answer (written once, see `send`).
 */
class Flow {
  readonly res: Exchange['res'];
  readonly op: OperationModel;
  readonly params: Record<string, string>;
  /** 4. */
  read: ReadBody = NO_BODY;
  /** 4: units per meter the request would add. */
  meters: Record<string, number> = NO_VALUES;
  /** 5–6: null on a public operation. */
  principal: Principal | null = null;
  /** 7: null when no policy applies. */
  decision: Decision | null = null;
  /** 9: the typed query. */
  query: Record<string, unknown> = NO_VALUES;
  /** 10: null without an Idempotency-Key. */
  idem: Idempotent | null = null;
  constructor(
    readonly x: Exchange,
    readonly dispatch: Dispatch,
    readonly log: RequestLog,
    readonly out: HeaderMap,
    readonly target: RequestTarget,
    readonly ctx: ProblemContext,
    match: RouteMatch,
  ) {
    this.res = x.res;
    this.op = match.operation;
    this.params = match.params;
  }
}

/**
 * A request that passed every step, as its handler gets it. `url` is made when a handler first
 * reads it: most answers need only the path and query the pipeline already has.
 */
class Admitted implements OperationRequest {
  readonly operation: OperationModel;
  readonly method: string;
  readonly params: Record<string, string>;
  readonly query: Record<string, unknown>;
  readonly headers: RequestHeaders;
  readonly body: unknown;
  readonly raw: Uint8Array | undefined;
  readonly mediaType: string | null;
  readonly decoded: boolean;
  readonly principal: Principal | null;
  readonly requestId: string;
  readonly meters: Record<string, number>;
  readonly decision: Decision | null;
  private readonly target: RequestTarget;
  constructor(f: Flow) {
    this.operation = f.op;
    this.method = f.op.method;
    this.params = f.params;
    this.query = f.query;
    this.headers = f.x.headers;
    this.body = f.read.body;
    this.raw = f.read.raw;
    this.mediaType = f.read.mediaType;
    this.decoded = f.read.decoded;
    this.principal = f.principal;
    this.requestId = f.ctx.requestId;
    this.meters = f.meters;
    this.decision = f.decision;
    this.target = f.target;
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
  /**
   * Answers one exchange completely (node:http: `nodeExchange(req, res)`; fetch: `FetchExchange`);
   * returns a promise only when a step waited for something (else the answer is written on return); never rejects.
   */
  serve(x: Exchange, dispatch: Dispatch): Later<void>;
  readonly options: PipelineOptions;
}

const DEFAULT_MAX_BODY = 1024 * 1024;
/** `TRACELOOM_DEBUG` set: faults are printed. Read through globalThis: a browser page has no `process`. */
const DEBUG = Boolean((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TRACELOOM_DEBUG);

/** Builds the pipeline once; `serve` runs the numbered steps for each request. */
export function createPipeline(options: PipelineOptions): Pipeline {
  const idempotency = options.idempotency ?? new MemoryIdempotencyStore();
  const opts: PipelineOptions = { ...options, idempotency };
  const authOptions = { directory: opts.directory, jwtSecret: opts.jwtSecret, now: () => opts.clock.now() };
  const decideOptions = { failMode: opts.failMode };

  /** Steps 4–12 in their order (1–3 find the operation first, in `begin`). */
  const STEPS: readonly ((f: Flow) => Later<Outcome>)[] = [body, authenticateStep, policy, tenantState, validate, replay, answer];

  /** Every step in order: at once while each answers at once, after a promise from the first that waits. */
  function run(x: Exchange, dispatch: Dispatch, log: RequestLog): Later<Outcome> {
    const flow = begin(x, dispatch, log); // 1–3
    return flow === ANSWERED ? ANSWERED : runFrom(flow, 0);
  }

  /** The steps from `first` on; after a step that waits, the rest run once its promise resolves. */
  function runFrom(f: Flow, first: number): Later<Outcome> {
    for (let i = first; i < STEPS.length; i++) {
      const outcome = STEPS[i]!(f);
      if (outcome === ANSWERED) return ANSWERED;
      if (outcome instanceof Promise) return outcome.then((o) => (o === ANSWERED ? ANSWERED : runFrom(f, i + 1)));
    }
  }

  /** 1. Request id, 2. CORS (a preflight is answered here), 3. route: the request's flow, or 404. */
  function begin(x: Exchange, dispatch: Dispatch, log: RequestLog): Flow | typeof ANSWERED {
    const requestId = requestIdOf(x.headers['x-request-id']);
    log.requestId = requestId;
    const out: HeaderMap = { 'X-Request-Id': requestId };
    if (applyCors(x, out as Record<string, string>, opts.cors)) return ANSWERED;
    const target = targetOf(x.url);
    log.headers = out;
    const ctx = new LoggedProblems(opts.model, requestId, target.pathname, out, log);
    const match = opts.router.match(x.method, target.pathname);
    if (match.operation) return new Flow(x, dispatch, log, out, target, ctx, match as RouteMatch);
    notFound(x, ctx, target.pathname, match.allowed);
    return ANSWERED;
  }

  /** 3. No operation for the method and path: 404, with `Allow` when the path exists for other methods. */
  function notFound(x: Exchange, ctx: ProblemContext, path: string, allowed: string[]): void {
    x.discard();
    const detail = allowed.length ? `${x.method} is not defined for ${path}; use ${allowed.join(', ')}.` : `No operation at ${path}.`;
    sendProblem(x.res, ctx, 'not_found', { detail }, allowed.length ? { Allow: allowed.join(', ') } : {});
  }

  /**
   * 4. Body: size before reading (413), content coding (415; gzip inflated under the limit), media
   * type (415), JSON or a binary codec (400), item count (400); no credentials in the query; the
   * units it meters. An operation without a request body goes on at once (nothing to wait for).
   */
  function body(f: Flow): Later<Outcome> {
    if (f.op.requestContentTypes.length === 0) {
      f.x.discard();
      f.meters = metersOf(f.op, undefined);
      return credentialsInQuery(f) ? ANSWERED : undefined;
    }
    return readRequestBody(f).then((read) => {
      if (read === ANSWERED || credentialsInQuery(f)) return ANSWERED;
      f.read = read;
      f.meters = metersOf(f.op, read.body);
    });
  }

  /** 4. The body read as the operation declares it (413, 415, 400). */
  async function readRequestBody(f: Flow): Promise<ReadBody | typeof ANSWERED> {
    const op = f.op;
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
  function authenticateStep(f: Flow): Later<Outcome> {
    if (f.op.security.length === 0) return;
    const auth = authenticate(f.x.headers, authOptions);
    return auth instanceof Promise ? auth.then((a) => admit(f, a)) : admit(f, auth);
  }

  /** 5–6. The caller as authenticated, if it may call the operation. */
  function admit(f: Flow, auth: AuthResult): Outcome {
    if (!auth.ok) {
      sendProblem(f.res, f.ctx, auth.code, { detail: auth.detail }, { 'WWW-Authenticate': 'Bearer realm="traceloom"' });
      return ANSWERED;
    }
    f.log.keyId = auth.principal.keyId;
    f.log.tenantId = auth.principal.tenantId;
    const refused = checkScopes(auth.principal, f.op.security);
    if (!refused) {
      f.principal = auth.principal;
      return;
    }
    sendProblem(f.res, f.ctx, refused.code, { detail: refused.detail });
    return ANSWERED;
  }

  /**
   * 7. Policy: plan gate, caps (402), rate limits (429), quotas (402), store down (503); rate-limit
   * headers from here on. Decided at once when the plan is known and the store answers synchronously.
   */
  function policy(f: Flow): Later<Outcome> {
    const { op, principal } = f;
    if (!principal || !(op.policies.length > 0 || op.plan || op.cap || op.quotas.length > 0)) return;
    const plan = opts.directory.planOf(principal.tenantId);
    const capUsed = op.cap ? opts.directory.capUsed(principal.tenantId, op.cap) : null;
    if (plan instanceof Promise || capUsed instanceof Promise) {
      return Promise.all([plan, capUsed]).then(([p, used]) => decideFor(f, principal, p, used));
    }
    return decideFor(f, principal, plan, capUsed);
  }

  /** 7. The decision for the caller on its plan. */
  function decideFor(f: Flow, principal: Principal, plan: string, capUsed: number | null): Later<Outcome> {
    const facts = { operation: f.op, plan, tenantId: principal.tenantId, apiKeyId: principal.keyId, ip: f.x.remoteAddress, meters: f.meters, capUsed };
    const decision = decideNow(facts, opts.model, opts.store, opts.clock, decideOptions);
    return decision instanceof Promise ? decision.then((d) => applyDecision(f, d)) : applyDecision(f, decision);
  }

  /** 7. Rate-limit headers, the log's figure, and the refusal when the decision is one. */
  function applyDecision(f: Flow, decision: Decision): Outcome {
    if (f.op.policies.length > 0) rateLimitHeaders(decision, opts.clock.now(), f.out);
    f.log.remaining = leastRemaining(decision);
    if (decision.degraded && decision.allowed) f.out['X-Traceloom-Degraded'] = 'rate-limit-store-unavailable';
    if (decision.allowed) {
      f.decision = decision;
      return;
    }
    const extra: HeaderMap = decision.retryAfter !== null ? { 'Retry-After': String(decision.retryAfter) } : {};
    sendProblem(f.res, f.ctx, decision.code ?? 'internal_error', { ...(decision.problem ?? {}) }, extra);
    return ANSWERED;
  }

  /** 8. Tenant state: an archived project refuses the operations that document it (403); the others pass at once. */
  function tenantState(f: Flow): Later<Outcome> {
    const principal = f.principal;
    const projectId = principal?.projectId;
    if (!projectId || !f.op.errorCodes.includes('project_archived')) return;
    return Promise.resolve(opts.directory.projectStatus(principal.tenantId, projectId)).then((status) => {
      if (status !== 'archived') return;
      sendProblem(f.res, f.ctx, 'project_archived', { detail: `Project ${projectId} is archived; unarchive it to resume ingest.`, project_id: projectId });
      return ANSWERED;
    });
  }

  /** 9. Parameters (400) and body (422) validation; the typed query. */
  function validate(f: Flow): Outcome {
    const { op, read } = f;
    const params = opts.validator.params(op, { path: f.params, query: f.target.search ? f.target.searchParams : NO_QUERY, headers: f.x.headers });
    if (!params.ok) {
      sendProblem(f.res, f.ctx, params.code, { detail: params.errors.map((e) => e.message).join('; '), errors: params.errors });
      return ANSWERED;
    }
    // A decoded binary body is checked as its JSON form is: the same limits in either encoding.
    const checked = opts.validator.body(op, read.decoded ? 'application/json' : read.mediaType, read.body);
    if (checked.ok) {
      f.query = params.query;
      return;
    }
    sendProblem(f.res, f.ctx, checked.code, {
      detail: `The body has ${checked.errors.length} problem${checked.errors.length === 1 ? '' : 's'}.`,
      errors: checked.errors,
    });
    return ANSWERED;
  }

  /** 10. Idempotency: a kept answer is replayed; the same key with another body is 409. A request without a key goes on at once. */
  function replay(f: Flow): Later<Outcome> {
    const principal = f.principal;
    const idemKey = f.op.method === 'POST' && principal ? f.x.headers['idempotency-key'] : undefined;
    if (typeof idemKey !== 'string') return;
    return replayKept(f, principal!, idemKey);
  }

  /** 10. The answer kept for this Idempotency-Key, replayed; or what keeping this one needs. */
  async function replayKept(f: Flow, principal: Principal, idemKey: string): Promise<Outcome> {
    const key = `${f.op.operationId}:${idemKey}`;
    const digest = bodyDigest(f.read.raw);
    const now = opts.clock.now();
    const kept = await idempotency.get(principal.tenantId, key, now);
    const prior = kept && kept.expiresAt > now ? kept : undefined;
    if (!prior) {
      f.idem = { key, digest, tenantId: principal.tenantId };
      return;
    }
    if (prior.bodyDigest !== digest)
      sendProblem(f.res, f.ctx, 'idempotency_key_reused', { detail: `Idempotency-Key ${idemKey} was first used with a different body.` });
    else send(f.res, prior.status, prior.body, { ...f.out, ...prior.headers, 'Idempotent-Replayed': 'true' }, prior.contentType);
    return ANSWERED;
  }

  /** 11. Dispatch to the operation's handler, then 12. its answer. */
  function answer(f: Flow): Later<Outcome> {
    const answered = f.dispatch(new Admitted(f));
    return answered instanceof Promise ? answered.then((a) => finish(f, a)) : finish(f, answered);
  }

  /** 12. Usage recorded for a 2xx, then the answer written (waits only for a store write it needs). */
  function finish(f: Flow, answer: Answer): Later<void> {
    if ('problem' in answer) return sendProblem(f.res, f.ctx, answer.problem, answer.members ?? {}, answer.headers ?? {});
    if (f.principal && answer.status < 300 && f.op.quotas.length > 0) {
      const usage = answer.usage ?? f.meters;
      if (Object.values(usage).some((n) => n > 0)) {
        return opts.store
          .recordUsage(f.principal.tenantId, usage, opts.clock.now())
          .catch(() => undefined)
          .then(() => respond(f, answer));
      }
    }
    return respond(f, answer);
  }

  /** 12. A binary request's 2xx encoded back, the answer kept for its Idempotency-Key, then written. */
  function respond(f: Flow, answer: Exclude<Answer, { problem: string }>): Later<void> {
    const { read, idem } = f;
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

  /** The end of every request: a fault in a handler or the store answered as a problem (never a crash), then the log told. */
  function settle(x: Exchange, log: RequestLog, started: number, failed: boolean, err?: unknown): void {
    if (failed) fault(x.res, log, err);
    if (opts.onResponse) {
      log.status = x.res.statusCode;
      log.ms = performance.now() - started;
      opts.onResponse(log);
    }
  }

  /** A fault's answer: 503 for a store that is down, else 500; a connection whose answer had begun is cut. */
  function fault(res: Exchange['res'], log: RequestLog, err: unknown): void {
    const requestId = log.requestId || requestIdOf(undefined);
    const ctx = { model: opts.model, requestId, instance: log.path, headers: { 'X-Request-Id': requestId } };
    if (!res.headersSent && err instanceof StoreUnavailableError) {
      const r = unavailable(err.store);
      log.code = r.code;
      sendProblem(res, ctx, r.code, r.members, r.headers);
    } else if (!res.headersSent) {
      log.code = 'internal_error';
      sendProblem(res, ctx, 'internal_error', { detail: 'An unexpected error occurred; quote the request id to support.' });
    } else {
      res.destroy(err as Error);
    }
    if (DEBUG) console.error(err);
  }

  return {
    options: opts,
    serve(x, dispatch) {
      const started = performance.now();
      const url = x.url;
      const q = url.indexOf('?');
      const log = new RequestLog(x.method, q < 0 ? url : url.slice(0, q));
      let done: Later<Outcome>;
      try {
        done = run(x, dispatch, log);
      } catch (err) {
        return settle(x, log, started, true, err);
      }
      if (!(done instanceof Promise)) return settle(x, log, started, false);
      return done.then(
        () => settle(x, log, started, false),
        (err: unknown) => settle(x, log, started, true, err),
      );
    },
  };
}
