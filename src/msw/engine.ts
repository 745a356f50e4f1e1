/**
 * The mock's engine on fetch: `createFetchMock(options).fetch(request)` answers a WHATWG
 * `Request` exactly as the mock server answers it over HTTP — the same pipeline (auth, scopes,
 * policy engine and headers, plan gates, quotas, caps, archived projects, validation,
 * idempotency), the same stateful resources and control operations, on the memory stores — with
 * the contract and fixtures embedded (generated/embedded.ts), so it runs without a file system
 * or a socket: under msw/node, in a browser page behind MSW's service worker, or as a `fetch`
 * stand-in. No `node:` module is imported from here down.
 * @module
 */
import { CONTRACT_JSON, FIXTURES } from '../../generated/embedded.js';
import type { OpenApiDocument } from '../contract/bundle.js';
import type { ContractModel } from '../contract/model.js';
import { readModel } from '../contract/read.js';
import { FetchExchange } from '../http/fetch.js';
import type { LogEntry } from '../http/pipeline.js';
import { MemoryStore } from '../policy/memory-store.js';
import { MockClock } from '../mock/clock.js';
import { reset, setClock, setPlan, setProjectStatus, setUsage, snapshot, type ControlHandler } from '../mock/control.js';
import { exampleAnswer } from '../mock/examples.js';
import { fixturesFrom, type FixtureSources, type Fixtures } from '../mock/fixtures.js';
import { answerOperation, buildLive, type Live } from '../mock/live.js';
import { MemoryStateStore } from '../mock/store/memory.js';

export interface FetchMockOptions {
  /** `dev`: the fixtures' small limits (mocks/limits.dev.yaml); `contract` (default): the contract's. */
  limits?: 'contract' | 'dev';
  /** `NAME=LIMIT/WINDOW` overrides, as the CLI's `--policy`, e.g. `['default=5/1h']`. */
  policies?: readonly string[];
  /** false: no rate limits (plan gates, quotas and caps stay). */
  rateLimit?: boolean;
  /** Tenants, keys and dev limits; default the mock's own (mocks/tenants.yaml, mocks/limits.dev.yaml). */
  fixtures?: Partial<FixtureSources>;
  /** The real time the mock clock runs on (ms since the epoch); default `Date.now`. Freeze and advance it with `control.clock`. */
  now?: () => number;
  /** Told of every answered request (method, path, status, code, rate-limit headers, ms). */
  onResponse?: (entry: LogEntry) => void;
}

/** The control operations of the mock (`/__mock/*` on the server) as functions; each resolves with its JSON answer. */
export interface MockControls {
  /** Tenants with plan, keys (with their secrets), projects, usage, limits, session tokens; the clock. */
  state(): Promise<any>;
  /** Clock, every tenant's state, counters and usage back to the start. */
  reset(): Promise<any>;
  /** Moves the clock forward and/or freezes (true) or thaws (false) it. */
  clock(change: { advanceSeconds?: number; freeze?: boolean }): Promise<any>;
  setPlan(tenantId: string, plan: string): Promise<any>;
  setUsage(tenantId: string, usage: Record<string, number>): Promise<any>;
  setProjectStatus(projectId: string, status: 'active' | 'archived'): Promise<any>;
}

export interface FetchMock {
  /**
   * Answers one request as the mock server would. Never rejects for a bad request: that is a
   * problem+json answer. `basePath`: the API's path prefix in the request URL (e.g. `/api`), removed before routing.
   */
  fetch(request: Request, basePath?: string): Promise<Response>;
  readonly control: MockControls;
  /** The served model (after overrides): limits, plans, error codes. */
  readonly model: ContractModel;
  readonly fixtures: Fixtures;
  /** The contract's first server URL, e.g. `https://api.traceloom.dev`. */
  readonly defaultBaseUrl: string;
}

/** A control operation refused: its problem+json body. */
export class MockControlError extends Error {
  constructor(readonly problem: Record<string, unknown>) {
    super(String(problem.detail ?? problem.title ?? 'The control operation was refused.'));
    this.name = 'MockControlError';
  }
}

let contract: { document: OpenApiDocument; model: ContractModel } | null = null;

/** The embedded contract, parsed and read once per page or process. */
function embeddedContract(): { document: OpenApiDocument; model: ContractModel } {
  if (contract) return contract;
  const document = JSON.parse(CONTRACT_JSON) as OpenApiDocument;
  contract = { document, model: readModel(document) };
  return contract;
}

/** Builds the engine: memory stores, the fixtures seeded before the first answer. */
export function createFetchMock(options: FetchMockOptions = {}): FetchMock {
  const { document, model } = embeddedContract();
  const fixtures = fixturesFrom(model, {
    tenants: options.fixtures?.tenants ?? FIXTURES.tenants,
    limits: options.fixtures?.limits ?? FIXTURES.limits,
    tenantsFile: options.fixtures?.tenantsFile ?? (options.fixtures?.tenants ? 'fixtures.tenants' : 'mocks/tenants.yaml'),
    limitsFile: options.fixtures?.limitsFile ?? (options.fixtures?.limits ? 'fixtures.limits' : 'mocks/limits.dev.yaml'),
  });
  const state = new MemoryStateStore();
  const policy = new MemoryStore();
  const clock = new MockClock(state, false, options.now);
  const live: Live = buildLive({
    document,
    model,
    fixtures,
    policy,
    state,
    clock,
    options: { limits: options.limits ?? 'contract', policies: options.policies ?? [], rateLimit: options.rateLimit, failMode: 'open' },
    onResponse: options.onResponse,
    fallback: (ctx) => (req) => exampleAnswer(ctx, req),
  });
  const ready = live.directory.seedAll(false);
  const run = async (handler: ControlHandler, params: string[], body: Record<string, unknown>) => {
    await ready;
    const answer = await handler({ params, body }, live.control);
    if ('problem' in answer) throw new MockControlError({ code: answer.problem, ...answer.members });
    return answer.body;
  };
  return {
    async fetch(request, basePath = '') {
      await ready;
      const x = new FetchExchange(request, '127.0.0.1', basePath);
      await live.pipeline.serve(x, (req) => answerOperation(live, req));
      return x.response();
    },
    control: {
      state: () => run(snapshot, [], {}),
      reset: () => run(reset, [], {}),
      clock: ({ advanceSeconds, freeze }) => run(setClock, [], { advance_seconds: advanceSeconds ?? 0, ...(freeze === undefined ? {} : { freeze }) }),
      setPlan: (tenantId, plan) => run(setPlan, [tenantId], { plan }),
      setUsage: (tenantId, usage) => run(setUsage, [tenantId], usage),
      setProjectStatus: (projectId, status) => run(setProjectStatus, [projectId], { status }),
    },
    model: live.model,
    fixtures,
    defaultBaseUrl: String(document.servers?.[0]?.url ?? 'https://api.traceloom.dev'),
  };
}
