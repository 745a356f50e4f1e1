/**
 * What one load of the contract and fixtures serves with, built the same way for the mock server
 * (on node:http, Prism for example answers) and for the MSW handlers (on fetch, in Node or a
 * browser, examples from the contract): the live model after overrides, the tenant directory,
 * the shared pipeline, and the stateful resources. Nothing here reads a file or a socket.
 * @module
 */
import type { OpenApiDocument } from '../contract/bundle.js';
import type { ContractModel } from '../contract/model.js';
import { createRouter } from '../contract/routes.js';
import { createPipeline, type Answer, type LogEntry, type OperationRequest, type Pipeline } from '../http/pipeline.js';
import { IDEMPOTENCY_TTL_MS, type IdempotencyStore } from '../http/idempotency.js';
import { RequestValidator } from '../http/validate.js';
import { applyOverrides, parsePolicyOption, type PolicyOverride, type PolicyOverrides } from '../policy/overrides.js';
import type { FailMode, PolicyStore } from '../policy/types.js';
import type { Later } from '../portable/index.js';
import type { MockClock } from './clock.js';
import type { ControlContext } from './control.js';
import { StateDirectory } from './directory.js';
import type { ExampleContext } from './examples.js';
import type { Fixtures } from './fixtures.js';
import { asksForExample } from './prefer.js';
import { operationRoute } from './routes.js';
import type { ResourceContext } from './resources/context.js';
import type { StateStore } from './store/types.js';

/** The limits the served model enforces, as the options give them. */
export interface LimitOptions {
  /** `dev`: the fixtures' small limits (limits.dev.yaml); `contract`: the contract's own. */
  limits: 'contract' | 'dev';
  /** `NAME=LIMIT/WINDOW` overrides, as the CLI's `--policy`. */
  policies: readonly string[];
  /** false: rate limits off (plan gates and quotas stay). */
  rateLimit?: boolean;
  /** Overrides read from the environment (the mock server's `TRACELOOM_RATE_LIMIT_*`), applied before `policies`. */
  fromEnv?: PolicyOverrides;
  failMode: FailMode;
}

export interface LiveParts {
  document: OpenApiDocument;
  /** The contract's model, before overrides. */
  model: ContractModel;
  fixtures: Fixtures;
  policy: PolicyStore;
  state: StateStore;
  clock: MockClock;
  options: LimitOptions;
  onResponse?: (entry: LogEntry) => void;
  /** The answer for a request with no stateful handler or asking for an example (Prism, or the contract's examples). */
  fallback: (ctx: ExampleContext) => (req: OperationRequest) => Promise<Answer>;
}

/** Everything built from one load; hot reload replaces it whole. */
export interface Live {
  document: OpenApiDocument;
  model: ContractModel;
  fixtures: Fixtures;
  directory: StateDirectory;
  pipeline: Pipeline;
  resources: ResourceContext;
  control: ControlContext;
  fallback: (req: OperationRequest) => Promise<Answer>;
}

/** Idempotency-Key answers kept in the state store (shared by every instance on Redis). */
function idempotencyIn(state: StateStore): IdempotencyStore {
  return {
    get: async (tenantId, key) => (await state.answer(tenantId, key)) ?? undefined,
    set: (tenantId, key, answer) => state.keepAnswer(tenantId, key, answer, IDEMPOTENCY_TTL_MS),
  };
}

/** The contract's model with the options' limits applied (dev limits, environment, `--policy`, rate limits off). */
export function servedModel(model: ContractModel, fixtures: Fixtures, o: LimitOptions): ContractModel {
  const policies: Record<string, PolicyOverride> = { ...(o.limits === 'dev' ? fixtures.devLimits : {}), ...o.fromEnv?.policies };
  for (const text of o.policies) {
    const [name, override] = parsePolicyOption(text);
    policies[name] = override;
  }
  const enabled = o.rateLimit === false ? false : (o.fromEnv?.enabled ?? true);
  return applyOverrides(model, { enabled, policies });
}

/** Builds what serves one load of the contract and fixtures. */
export function buildLive(parts: LiveParts): Live {
  const { document, fixtures, policy, state, clock } = parts;
  const model = servedModel(parts.model, fixtures, parts.options);
  const directory = new StateDirectory(state, fixtures, clock);
  const now = () => clock.now();
  const pipeline = createPipeline({
    model,
    document,
    router: createRouter(model),
    validator: new RequestValidator(document),
    store: policy,
    clock,
    directory,
    jwtSecret: new TextEncoder().encode(fixtures.jwtSecret),
    failMode: parts.options.failMode,
    idempotency: idempotencyIn(state),
    onResponse: parts.onResponse,
  });
  return {
    document,
    model,
    fixtures,
    directory,
    pipeline,
    resources: { state, policy, model, now, version: String(document.info?.version ?? '1.0.0') },
    control: { model, fixtures, directory, state, policy, clock },
    fallback: parts.fallback({ document, model, directory, now }),
  };
}

/** Step 11 for a request that passed the pipeline: its stateful resource, or the fallback (examples). */
export function answerOperation(live: Live, req: OperationRequest): Later<Answer> {
  const resource = operationRoute(req.operation.operationId);
  if (resource && !asksForExample(req)) return resource(req, req.principal?.tenantId ?? '', live.resources);
  return live.fallback(req);
}
