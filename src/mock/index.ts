/**
 * The mock server (DESIGN §5): the shared pipeline on node:http, stateful resources from
 * {@link MockState}, Prism in-process for everything else and for explicit `Prefer` requests,
 * a control API under `/__mock`, hot reload of openapi/ and mocks/.
 * @module
 */
import { watch, type FSWatcher } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { createRouter, defaultRoot, loadContract, repoRoot, resolveRef, type ContractModel, type OpenApiDocument } from '../contract/index.js';
import { answerClientErrors, createPipeline, MemoryIdempotencyStore, RequestValidator, send, sendProblem, type Answer, type LogEntry, type OperationRequest, type Pipeline } from '../http/index.js';
import {
  applyOverrides,
  MemoryStore,
  overridesFromEnv,
  parsePolicyOption,
  rateLimitHeaders,
  type Decision,
  type FailMode,
  type PolicyOverride,
  type PolicyStore,
} from '../policy/index.js';
import { RedisStore } from '../policy/redis.js';
import { serveDocs } from '../docs/index.js';
import { defaultMocksDir, loadFixtures, type Fixtures } from './fixtures.js';
import { createHandlers, type Handler } from './handlers.js';
import { PrismResponder, preferenceOf, wantsPrism } from './prism.js';
import { shareState } from './shared.js';
import { MockState } from './state.js';

export interface MockOptions {
  /** Port to listen on; 0 picks a free one. Default 4010. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** `dev` scales limits down (mocks/limits.dev.yaml) so a person reaches a 429 by clicking. */
  limits?: 'dev' | 'contract';
  /** `NAME=LIMIT/WINDOW` overrides, e.g. `default=20/2s` (every plan, no burst). */
  policies?: string[];
  /** false switches rate limiting off (plan gates, caps and quotas still apply). */
  rateLimit?: boolean;
  /** Added latency per request, ms: `[min, max]`. */
  latencyMs?: [number, number];
  /** Share of requests answered 500 or reset (half each), 0–1. */
  chaos?: number;
  /** Redis URL: counters and usage shared by every instance on it. */
  redisUrl?: string;
  failMode?: FailMode;
  /** The control API under /__mock (localhost only). Default true. */
  control?: boolean;
  /** Request log: `pretty` (a TTY), `json`, or false. Default: pretty on a TTY, json otherwise. */
  log?: 'pretty' | 'json' | false;
  /** Reload when openapi/ or mocks/ change. Default false (the CLI turns it on). */
  watch?: boolean;
  root?: string;
  mocksDir?: string;
  /** Read process.env for TRACELOOM_POLICY_* and TRACELOOM_RATE_LIMIT_ENABLED. Default true. */
  env?: Record<string, string | undefined>;
  /** Where built docs are served from. Default generated/docs. */
  docsDir?: string;
}

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

interface Loaded {
  document: OpenApiDocument;
  model: ContractModel;
  fixtures: Fixtures;
  files: string[];
  prism: PrismResponder;
  validator: RequestValidator;
}

const LOCAL = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
/** How long close() waits for in-flight requests before cutting their connections. */
const DRAIN_TIMEOUT_MS = 10_000;

/** Starts a mock server; resolves once it is listening. */
export async function createMock(options: MockOptions = {}): Promise<MockServer> {
  const root = options.root ?? defaultRoot;
  const mocksDir = options.mocksDir ?? defaultMocksDir;
  const env = options.env ?? process.env;
  // The mock's clock: real time plus an offset (`POST /__mock/clock`), or frozen for exact tests.
  let offsetMs = 0;
  let frozenAt: number | null = null;
  const clock = { now: () => (frozenAt ?? Date.now()) + offsetMs };

  async function load(): Promise<Loaded> {
    const contract = await loadContract(root);
    const fixtures = await loadFixtures(contract.model, mocksDir);
    const fromEnv = overridesFromEnv(env);
    const policies: Record<string, PolicyOverride> = { ...(options.limits === 'dev' ? fixtures.devLimits : {}), ...fromEnv.policies };
    for (const text of options.policies ?? []) {
      const [name, override] = parsePolicyOption(text);
      policies[name] = override;
    }
    const enabled = options.rateLimit === false ? false : fromEnv.enabled ?? true;
    const model = applyOverrides(contract.model, { enabled, policies });
    return {
      document: contract.document,
      model,
      fixtures,
      files: [...contract.files, ...fixtures.files],
      prism: await PrismResponder.create(contract.document),
      validator: new RequestValidator(contract.document),
    };
  }

  let current = await load();
  const store: PolicyStore = options.redisUrl ? new RedisStore({ url: options.redisUrl }) : new MemoryStore();
  const state = new MockState(current.fixtures, clock.now);
  // With Redis, tenant state is replicated between instances too (counters and usage already are).
  const shared = options.redisUrl
    ? await shareState(options.redisUrl, state, (err) => console.error(`traceloom mock: shared state: ${err.message}`)).catch((err: Error) => {
        console.error(`traceloom mock: Redis unreachable at start (${err.message}); tenant state is NOT shared with other instances`);
        return null;
      })
    : null;
  const share = (tenantId: string | null | undefined) => {
    if (shared && tenantId) void shared.publish(tenantId).catch((err: Error) => console.error(`traceloom mock: shared state not published: ${err.message}`));
  };
  const idempotency = new MemoryIdempotencyStore();
  const version = String(current.document.info?.version ?? '1.0.0');
  const logMode = options.log ?? (process.stdout.isTTY ? 'pretty' : 'json');
  const onResponse = logMode ? (e: LogEntry) => logLine(logMode, e) : undefined;

  let handlers: Record<string, Handler> = {};
  let pipeline: Pipeline;
  const build = () => {
    handlers = createHandlers({ state, store, model: current.model, now: clock.now, version });
    pipeline = createPipeline({
      model: current.model,
      document: current.document,
      router: createRouter(current.model),
      validator: current.validator,
      store,
      clock,
      directory: state,
      jwtSecret: new TextEncoder().encode(current.fixtures.jwtSecret),
      failMode: options.failMode ?? 'open',
      idempotency,
      onResponse,
    });
  };
  build();

  const chaos = Math.min(1, Math.max(0, options.chaos ?? 0));
  const latency = options.latencyMs;

  async function dispatch(req: OperationRequest): Promise<Answer> {
    if (latency) await new Promise((r) => setTimeout(r, latency[0] + Math.random() * (latency[1] - latency[0])));
    if (chaos > 0 && Math.random() < chaos) {
      if (Math.random() < 0.5) throw Object.assign(new Error('chaos: connection reset'), { chaosReset: true });
      return { problem: 'internal_error', members: { detail: 'Injected by the mock (--chaos).' } };
    }
    const handler = handlers[req.operation.operationId];
    if (handler && !wantsPrism(req)) {
      const tenant = req.principal ? state.tenant(req.principal.tenantId) : null;
      const answer = await handler(req, tenant!);
      if (req.method !== 'GET') share(req.principal?.tenantId);
      return answer;
    }
    return prismAnswer(req);
  }

  async function prismAnswer(req: OperationRequest): Promise<Answer> {
    const pref = preferenceOf(req);
    if (typeof pref === 'string') return { problem: 'invalid_request', members: { detail: pref } };
    const op = current.document.paths[req.operation.path][req.operation.method.toLowerCase()];
    if (pref.code !== undefined && !op.responses?.[String(pref.code)]) {
      return { problem: 'invalid_request', members: { detail: `Prefer code=${pref.code} is not declared for ${req.operation.method} ${req.operation.path}; declared: ${Object.keys(op.responses).join(', ')}.` } };
    }
    if (pref.code !== undefined && pref.code >= 400) return forcedProblem(req, pref.code, pref.exampleKey);
    let answer;
    try {
      answer = await current.prism.answer(req, pref);
    } catch (err) {
      return { problem: 'invalid_request', members: { detail: `Prism could not answer: ${(err as Error).message}` } };
    }
    if (answer.status >= 400) return forcedProblem(req, answer.status, pref.exampleKey);
    return { status: answer.status, body: answer.body, contentType: answer.contentType, usage: {} };
  }

  /** `Prefer: code=4xx/5xx`: our problem for the example's code, with real, consistent headers. */
  function forcedProblem(req: OperationRequest, status: number, exampleKey?: string): Answer {
    const op = current.document.paths[req.operation.path][req.operation.method.toLowerCase()];
    const resolved = resolveRef(current.document, op.responses[String(status)]);
    const examples = resolved?.content?.['application/problem+json']?.examples ?? {};
    const key = exampleKey && examples[exampleKey] ? exampleKey : Object.keys(examples)[0];
    const example = key ? resolveRef(current.document, examples[key])?.value ?? {} : {};
    const code: string = example.code ?? Object.values(current.model.errors).find((e) => e.status === status)?.code ?? 'internal_error';
    const { type: _t, title: _ti, status: _s, instance: _i, request_id: _r, retryable: _re, code: _c, ...members } = example;
    const headers: Record<string, string> = {};
    const decision = req.decision;
    if (code === 'rate_limited' && decision && decision.perPolicy.length > 0) {
      // Make the forced refusal agree with itself: the first policy is spent until its reset.
      const now = clock.now();
      const first = decision.perPolicy[0]!;
      const retry = Math.max(1, Math.ceil((first.resetAt - now) / 1000));
      const spent: Decision = { ...decision, allowed: false, perPolicy: [{ ...first, remaining: 0, resetAt: now + retry * 1000 }, ...decision.perPolicy.slice(1)], retryAfter: retry, violated: [first.name] };
      Object.assign(headers, rateLimitHeaders(spent, now), { 'Retry-After': String(retry) });
      Object.assign(members, {
        detail: `${first.limit} requests per ${first.windowSeconds} s allowed by policy ${first.name}; retry in ${retry} s (forced by Prefer).`,
        retry_after_seconds: retry,
        limit: first.limit,
        window_seconds: first.windowSeconds,
        reset_at: new Date(now + retry * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        violated_policies: [first.name],
      });
    } else if (typeof members.retry_after_seconds === 'number') {
      headers['Retry-After'] = String(members.retry_after_seconds);
    }
    if (code === 'plan_upgrade_required' && req.principal) members.current_plan = state.planOf(req.principal.tenantId);
    return { problem: code, members, headers };
  }

  const docsDir = options.docsDir ?? join(repoRoot, 'generated', 'docs');

  const control = options.control !== false;
  let closing = false;
  const server: Server = createServer((req, res) => {
    // Draining: answer, then close the connection instead of keeping it alive.
    if (closing) res.setHeader('Connection', 'close');
    void (async () => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/__mock' || path.startsWith('/__mock/')) {
        if (!control || !LOCAL.has(req.socket.remoteAddress ?? '')) {
          req.resume();
          return sendProblem(res, { model: current.model, requestId: 'req_mockcontrol', instance: path }, 'not_found', { detail: 'No operation at this path.' });
        }
        return controlApi(req, res, path).catch((err: Error) => {
          // Only the policy store can fail here (Redis down): answer, never leave the request hanging.
          if (res.headersSent) return void res.destroy();
          sendProblem(res, { model: current.model, requestId: 'req_mockcontrol', instance: path }, 'service_unavailable', { detail: `The control API could not reach the policy store (${err.message}); retry in 1 s.`, retry_after_seconds: 1 }, { 'Retry-After': '1' });
        });
      }
      if (path === '/docs' || path.startsWith('/docs/') || path.startsWith('/llms')) {
        if (serveDocs(req, res, { dir: docsDir })) return;
      }
      await pipeline.handle(req, res, async (r) => {
        try {
          return await dispatch(r);
        } catch (err) {
          if ((err as { chaosReset?: boolean }).chaosReset) {
            res.destroy();
            return { problem: 'internal_error' };
          }
          throw err;
        }
      });
    })();
  });
  server.keepAliveTimeout = 5000;
  answerClientErrors(server, () => current.model);

  async function readJson(req: IncomingMessage): Promise<any> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > 65536) throw new Error('body too large');
      chunks.push(c as Buffer);
    }
    return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
  }

  async function controlApi(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const ctx = { model: current.model, requestId: 'req_mockcontrol', instance: path };
    const bad = (detail: string) => sendProblem(res, ctx, 'invalid_request', { detail });
    let body: any = {};
    try {
      if (req.method !== 'GET') body = await readJson(req);
    } catch (err) {
      return sendProblem(res, ctx, 'malformed_json', { detail: `The body is not JSON: ${(err as Error).message}` });
    }
    const m = /^\/__mock\/(tenants|projects)\/([^/]+)(?:\/(usage|plan))?$/.exec(path);
    if (req.method === 'GET' && path === '/__mock/state') return send(res, 200, await snapshot());
    if (req.method === 'POST' && path === '/__mock/reset') {
      offsetMs = 0;
      frozenAt = null;
      state.reset();
      idempotency.clear();
      await store.reset();
      await shared?.publishAll();
      return send(res, 200, await snapshot());
    }
    if (req.method === 'POST' && path === '/__mock/clock') {
      const s = body.advance_seconds ?? 0;
      if (typeof s !== 'number' || !Number.isFinite(s) || s < 0 || s > 366 * 86400) return bad('`advance_seconds` must be a number of seconds from 0 to 31,622,400.');
      if (body.freeze !== undefined && typeof body.freeze !== 'boolean') return bad('`freeze` must be true or false.');
      if (body.freeze === true && frozenAt === null) frozenAt = Date.now();
      if (body.freeze === false && frozenAt !== null) {
        offsetMs += frozenAt - Date.now();
        frozenAt = null;
      }
      offsetMs += s * 1000;
      return send(res, 200, { clock: new Date(clock.now()).toISOString(), frozen: frozenAt !== null });
    }
    if (m && req.method === 'PUT') {
      const [, kind, id, what] = m;
      if (kind === 'projects' && !what) {
        const tenant = [...state.tenants.values()].find((t) => t.projects.has(id!));
        if (!tenant) return sendProblem(res, ctx, 'not_found', { detail: `No project ${id}.` });
        if (body.status !== 'active' && body.status !== 'archived') return bad('`status` must be `active` or `archived`.');
        const p = tenant.projects.get(id!)!;
        Object.assign(p, { status: body.status, archived_at: body.status === 'archived' ? new Date(clock.now()).toISOString() : null });
        share(tenant.id);
        return send(res, 200, { id: p.id, status: p.status });
      }
      const tenant = kind === 'tenants' ? state.tenants.get(id!) : undefined;
      if (!tenant) return sendProblem(res, ctx, 'not_found', { detail: `No tenant ${id}.` });
      if (what === 'plan') {
        const plans = current.model.plans.map((p) => p.id);
        if (!plans.includes(body.plan)) return bad(`\`plan\` must be one of ${plans.join(', ')}.`);
        tenant.plan = body.plan;
        share(tenant.id);
        return send(res, 200, { id: tenant.id, plan: tenant.plan });
      }
      if (what === 'usage') {
        const meters = Object.keys(current.model.meters);
        const values: Record<string, number> = {};
        for (const [k, v] of Object.entries(body)) {
          if (!meters.includes(k)) return bad(`unknown meter \`${k}\`; known: ${meters.join(', ')}.`);
          if (!Number.isInteger(v) || (v as number) < 0) return bad(`\`${k}\` must be an integer ≥ 0.`);
          values[k] = v as number;
        }
        await store.setUsage(tenant.id, values, clock.now());
        return send(res, 200, { id: tenant.id, usage: await store.getUsage(tenant.id, meters, clock.now()) });
      }
    }
    return sendProblem(res, ctx, 'not_found', { detail: `No control operation ${req.method} ${path}.` });
  }

  async function snapshot() {
    const meters = Object.keys(current.model.meters);
    const secret = new TextEncoder().encode(current.fixtures.jwtSecret);
    const nowS = Math.floor(clock.now() / 1000);
    const tenants = await Promise.all(
      [...state.tenants.values()].map(async (t) => ({
        id: t.id,
        plan: t.plan,
        keys: [...t.keys.values()].map((k) => ({ key: k.secret, id: k.id, scopes: k.scopes, project_id: k.projectId, revoked: k.revoked })),
        projects: [...t.projects.values()].map((p) => ({ id: p.id, status: p.status })),
        usage: await store.getUsage(t.id, meters, clock.now()),
        traces: t.traces.size,
        session_token: await new SignJWT({ tenant_id: t.id })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(`usr_${t.id.slice(4)}`)
          .setIssuedAt(nowS)
          .setExpirationTime(nowS + current.fixtures.jwtTtlSeconds)
          .sign(secret),
      })),
    );
    return { clock: new Date(clock.now()).toISOString(), plans: current.model.plans, tenants };
  }

  // Hot reload: keep counters and state; a broken edit keeps the last good contract.
  const watchers: FSWatcher[] = [];
  if (options.watch) {
    let timer: NodeJS.Timeout | undefined;
    const reload = () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        try {
          const next = await load();
          current = next;
          state.replaceFixtures(next.fixtures);
          build();
          console.error('traceloom mock: reloaded openapi/ and mocks/');
        } catch (err) {
          console.error(`traceloom mock: kept the last good contract; fix this and save again:\n  ${(err as Error).message}`);
        }
      }, 150);
    };
    for (const dir of [join(root, '..'), mocksDir]) watchers.push(watch(dir, { recursive: true }, reload));
  }

  // Start enforcing at once rather than degraded: wait (bounded) for Redis; if it is not there,
  // start anyway, and `failMode` applies until it is.
  if (store instanceof RedisStore) await store.ready(2000);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4010, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    get model() {
      return current.model;
    },
    get fixtures() {
      return current.fixtures;
    },
    server,
    async close() {
      for (const w of watchers) w.close();
      closing = true;
      // Drain: stop listening, let in-flight requests finish, close each connection as soon as
      // it is idle (a client would otherwise hold a keep-alive one open for seconds), and cut
      // whatever is left after DRAIN_TIMEOUT_MS.
      await new Promise<void>((resolve) => {
        const sweep = setInterval(() => server.closeIdleConnections(), 20);
        const force = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS);
        server.close(() => {
          clearInterval(sweep);
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      await shared?.close();
      await store.close();
    },
  };
}

function logLine(mode: 'pretty' | 'json', e: LogEntry): void {
  if (mode === 'json') {
    process.stdout.write(`${JSON.stringify({ t: new Date().toISOString(), ...e, ms: Math.round(e.ms * 100) / 100 })}\n`);
    return;
  }
  const color = e.status >= 500 ? 31 : e.status >= 400 ? 33 : 32;
  const rem = e.remaining === null ? '' : ` remaining=${e.remaining}`;
  process.stdout.write(`\x1b[${color}m${e.status}\x1b[0m ${e.method.padEnd(6)} ${e.path} ${e.keyId ?? '-'}${rem} ${e.ms.toFixed(1)}ms\n`);
}
