/**
 * A small, valid Traceloom-shaped OpenAPI document for the Spectral rule tests: one rate-limited
 * operation and one public one, in-document `$ref`s, its own `x-traceloom`. Each test case breaks
 * one thing in a fresh copy.
 */

/** A JSON document; the fixtures are mutated freely, so they are loosely typed. */
export type Doc = Record<string, any>;

const BASE = 'https://docs.example.dev';
const RATE_LIMIT_HEADERS = ['RateLimit', 'RateLimit-Policy', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'X-RateLimit-Policy'];

const ref = (to: string) => ({ $ref: `#/components/${to}` });
/** Header refs by header name, for one response. */
const headers = (names: string[]) => Object.fromEntries(names.map((n) => [n, ref(`headers/${n.replace(/-/g, '')}`)]));

/** A problem example for `code`, as the registry of the fixture wants it. */
export const problem = (code: string, status: number, retryable: boolean) => ({
  summary: code,
  value: { type: `${BASE}/errors#${code}`, title: code, status, code, request_id: 'req_01JD8X3V6Q2N5M', retryable },
});

const errorResponse = (description: string, examples: Record<string, unknown>, extra: string[] = []) => ({
  description,
  headers: headers([...RATE_LIMIT_HEADERS, ...extra]),
  content: { 'application/problem+json': { schema: ref('schemas/Problem'), examples } },
});

/** A fresh copy of the valid fixture document. */
export function validDoc(): Doc {
  const header = (type: string) => ({ description: 'A rate-limit header.', schema: { type, maxLength: 64 } });
  return structuredClone({
    openapi: '3.1.0',
    info: { title: 'Fixture', version: '1.0.0' },
    paths: {
      '/v1/things': {
        get: {
          operationId: 'listThings',
          summary: 'List things',
          description: 'Lists things.',
          tags: ['Things'],
          security: [{ ApiKey: ['read'] }],
          'x-traceloom-rate-limit': ['default', 'reads'],
          'x-traceloom-plan': 'free',
          'x-traceloom-quota': { meter: 'traces', count: 'per_request' },
          'x-traceloom-cap': 'projects',
          responses: {
            '200': {
              description: 'The things.',
              headers: headers(RATE_LIMIT_HEADERS),
              content: { 'application/json': { schema: { type: 'object', properties: { scope: ref('schemas/Scope') } }, example: { scope: 'read' } } },
            },
            '404': errorResponse('Not found.', { not_found: problem('not_found', 404, false) }),
            '429': errorResponse('Too many requests.', { rate_limited: problem('rate_limited', 429, true) }, ['Retry-After']),
          },
        },
      },
      '/v1/health': {
        get: {
          operationId: 'getHealth',
          summary: 'Check health',
          description: 'Public and not rate-limited.',
          tags: ['Health'],
          security: [],
          responses: { '200': { description: 'Up.', content: { 'application/json': { schema: { type: 'object' }, example: {} } } } },
        },
      },
    },
    components: {
      securitySchemes: { ApiKey: { type: 'http', scheme: 'bearer' } },
      headers: {
        RateLimit: header('string'),
        RateLimitPolicy: header('string'),
        XRateLimitLimit: header('integer'),
        XRateLimitRemaining: header('integer'),
        XRateLimitReset: header('integer'),
        XRateLimitPolicy: header('string'),
        RetryAfter: header('integer'),
      },
      schemas: {
        Scope: { type: 'string', enum: ['read', 'write'] },
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'code', 'request_id', 'retryable'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            code: { type: 'string' },
            request_id: { type: 'string' },
            retryable: { type: 'boolean' },
          },
        },
      },
    },
    'x-traceloom': {
      docs_base_url: BASE,
      plans: [
        { id: 'free', caps: { projects: 1, seats: 1 } },
        { id: 'pro', caps: { projects: 10, seats: 10 } },
      ],
      rate_limit_policies: {
        default: { scope: 'api_key', algorithm: 'sliding-window', window: '60s', limit: 'plan' },
        reads: { scope: 'tenant', algorithm: 'fixed-window', window: '1s', limit: 20 },
      },
      meters: { traces: { period: 'calendar_month' } },
      errors: {
        not_found: { status: 404, title: 'Not found', retryable: false },
        rate_limited: { status: 429, title: 'Rate limit exceeded', retryable: true },
      },
    },
  }) as Doc;
}

/** The rate-limited operation of a fixture. */
export const things = (doc: Doc): Doc => doc.paths['/v1/things'].get;

/**
 * The valid fixture split the way openapi/ is: the path item and the Problem schema in their own
 * files, referenced by file, with the component entry pointing at the same file (Redocly's layout).
 * Returns file name → document; `root.json` is the one to lint.
 */
export function splitDocs(): Record<string, Doc> {
  const root = validDoc();
  const item = JSON.parse(
    JSON.stringify(root.paths['/v1/things'])
      .replaceAll('"#/components/schemas/Problem"', '"problem.json"')
      .replaceAll('"#/components/', '"root.json#/components/'),
  ) as Doc;
  const problemSchema = root.components.schemas.Problem as Doc;
  root.paths['/v1/things'] = { $ref: 'things.json' };
  root.components.schemas.Problem = { $ref: 'problem.json' };
  return { 'root.json': root, 'things.json': item, 'problem.json': problemSchema };
}
