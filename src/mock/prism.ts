/**
 * Prism in-process (`@stoplight/prism-http`): example-driven and dynamic answers for the
 * preference parsed by prefer.ts (Prism's own `Prefer` rules). Deterministic answers (examples) are cached per operation and preference.
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

export type { Preference as PrismPreference } from './prefer.js';
import type { Preference as PrismPreference } from './prefer.js';

export interface PrismAnswer {
  status: number;
  body: unknown;
  contentType: string;
}

/** Prism's modules, imported once, on first use. */
const prismModules = (() => {
  let loaded: Promise<{
    core: typeof import('@stoplight/prism-core');
    http: typeof import('@stoplight/prism-http');
  }> | null = null;
  return () => (loaded ??= Promise.all([import('@stoplight/prism-core'), import('@stoplight/prism-http')]).then(([core, http]) => ({ core, http })));
})();

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
