/**
 * Prism in-process (`@stoplight/prism-http`): example-driven and dynamic answers, with Prism's
 * own `Prefer: code=…, example=…, dynamic=…` (and `__code`/`__example`/`__dynamic` query)
 * semantics. Deterministic answers (examples) are cached per operation and preference.
 * Prism's modules take about a second to load, so they are imported on first use (the mock warms
 * them right after it starts listening), not at startup.
 * @module
 */
import type { IHttpConfig } from '@stoplight/prism-http';
import type { IHttpOperation } from '@stoplight/types';
import * as E from 'fp-ts/lib/Either.js';
import { createRequire } from 'node:module';
import type { OpenApiDocument } from '../contract/index.js';
import type { OperationRequest } from '../http/index.js';

export interface PrismPreference {
  code?: number;
  exampleKey?: string;
  dynamic?: boolean;
  seed?: string;
}

export interface PrismAnswer {
  status: number;
  body: unknown;
  contentType: string;
}

const PRISM_QUERY = ['__code', '__example', '__dynamic', '__seed'] as const;

/** True when the request asks for Prism's answer explicitly (Prefer header or `__` query). */
export function wantsPrism(req: OperationRequest): boolean {
  if (typeof req.headers.prefer === 'string' && /\b(code|example|dynamic|seed)=/.test(req.headers.prefer)) return true;
  if (!req.url.search) return false; // nothing to look for (and no URLSearchParams to build)
  for (const k of PRISM_QUERY) if (req.url.searchParams.has(k)) return true;
  return false;
}

/** Prism's modules, imported once, on first use. */
const prismModules = (() => {
  let loaded: Promise<{
    core: typeof import('@stoplight/prism-core');
    http: typeof import('@stoplight/prism-http');
    server: typeof import('@stoplight/prism-http-server/dist/getHttpConfigFromRequest.js');
  }> | null = null;
  return () =>
    (loaded ??= Promise.all([
      import('@stoplight/prism-core'),
      import('@stoplight/prism-http'),
      import('@stoplight/prism-http-server/dist/getHttpConfigFromRequest.js'),
    ]).then(([core, http, server]) => ({ core, http, server })));
})();

/** The preference of a request, parsed exactly as the Prism CLI parses it; a string is the error. */
export async function preferenceOf(req: OperationRequest): Promise<PrismPreference | string> {
  const { getHttpConfigFromRequest } = (await prismModules()).server;
  const query: Record<string, string> = {};
  for (const [k, v] of req.url.searchParams) query[k] = v;
  const headers: Record<string, string> = {};
  if (typeof req.headers.prefer === 'string') headers.prefer = req.headers.prefer;
  const parsed = getHttpConfigFromRequest({ method: 'get', url: { path: req.url.pathname, query }, headers } as never);
  if (E.isLeft(parsed)) return `Prefer is not understood: ${(parsed.left as Error & { detail?: string }).detail ?? parsed.left.message}`;
  const p = parsed.right as PrismPreference;
  return Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as PrismPreference;
}

/**
 * Bounds for Prism's dynamic (`Prefer: dynamic=true`) data, set on the json-schema-faker instance
 * Prism itself uses (as the Prism CLI's `--json-schema-faker-fillProperties=false` does). With
 * Prism's defaults, open maps such as `metadata` are filled to their `maxProperties` and arrays to
 * `maxItems`: one dynamic Trace was 1.6 MB and blocked the mock for seconds.
 */
function boundDynamicData(): void {
  const fromPrism = createRequire(createRequire(import.meta.url).resolve('@stoplight/prism-http'));
  const { JSONSchemaFaker } = fromPrism('json-schema-faker') as { JSONSchemaFaker: { option(o: Record<string, unknown>): void } };
  JSONSchemaFaker.option({ fillProperties: false, maxItems: 5, maxLength: 200 });
}

/**
 * Prism as a response engine only: the pipeline has already routed, authenticated and validated
 * the request, so Prism's own security and validation checks are off.
 */
function configFor(mock: IHttpConfig['mock']): IHttpConfig {
  return { mock, checkSecurity: false, validateRequest: false, validateResponse: false, errors: false, upstreamProxy: undefined, isProxy: false };
}

type PrismInstance = ReturnType<(typeof import('@stoplight/prism-http'))['createInstance']>;

export class PrismResponder {
  private readonly cache = new Map<string, PrismAnswer>();

  private constructor(
    private readonly prism: PrismInstance,
    private readonly operations: IHttpOperation[],
  ) {}

  static async create(document: OpenApiDocument): Promise<PrismResponder> {
    const { core, http } = await prismModules();
    boundDynamicData();
    const logger = core.createLogger('prism', { level: 'silent' });
    return new PrismResponder(http.createInstance(configFor({ dynamic: false }), { logger }), await http.getHttpOperationsFromSpec(structuredClone(document)));
  }

  /** A responder for `document`, created on the first call. */
  static lazy(document: OpenApiDocument): () => Promise<PrismResponder> {
    let created: Promise<PrismResponder> | null = null;
    return () => (created ??= PrismResponder.create(document));
  }

  /** Prism's answer for this request and preference; static answers are cached. */
  async answer(req: OperationRequest, pref: PrismPreference): Promise<PrismAnswer> {
    const accept = typeof req.headers.accept === 'string' ? req.headers.accept : '';
    const cacheable = !pref.dynamic;
    const key = `${req.operation.operationId}|${pref.code ?? ''}|${pref.exampleKey ?? ''}|${accept}`;
    if (cacheable) {
      const hit = this.cache.get(key);
      if (hit) return hit;
    }
    const query: Record<string, string> = {};
    for (const [k, v] of req.url.searchParams) query[k] = v;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    // Prism needs a fresh mock config object per request.
    const config = configFor({ dynamic: pref.dynamic ?? false, code: pref.code, exampleKey: pref.exampleKey, seed: pref.seed });
    const result = await this.prism.request(
      { method: req.method.toLowerCase() as never, url: { path: req.url.pathname, query }, headers, body: req.body },
      this.operations,
      config,
    )();
    if (E.isLeft(result)) throw Object.assign(new Error(result.left.message), { prism: result.left });
    const out = result.right.output;
    const contentType = String(out.headers?.['Content-type'] ?? out.headers?.['content-type'] ?? 'application/json');
    const answer: PrismAnswer = { status: out.statusCode, body: out.body, contentType };
    if (cacheable) this.cache.set(key, answer);
    return answer;
  }
}
