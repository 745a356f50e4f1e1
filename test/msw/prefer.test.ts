/**
 * `Prefer` parsing without Prism (src/mock/prefer.ts) agrees with the Prism CLI's own parser
 * (`getHttpConfigFromRequest`) on what it accepts and the preference it reads.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parsePreference } from '../../src/mock/prefer.js';
import type { OperationRequest } from '../../src/http/index.js';

const { getHttpConfigFromRequest } = createRequire(import.meta.url)('@stoplight/prism-http-server/dist/getHttpConfigFromRequest.js');

const request = (prefer: string | undefined, query = ''): OperationRequest =>
  ({ headers: prefer === undefined ? {} : { prefer }, url: new URL(`http://x/v1/usage${query}`) }) as unknown as OperationRequest;

function prism(prefer: string | undefined, query = ''): Record<string, unknown> | 'refused' {
  const url = new URL(`http://x/v1/usage${query}`);
  const parsed = getHttpConfigFromRequest({
    method: 'get',
    url: { path: url.pathname, query: Object.fromEntries(url.searchParams) },
    headers: prefer === undefined ? {} : { prefer },
  });
  if (parsed._tag === 'Left') return 'refused';
  return Object.fromEntries(Object.entries(parsed.right as Record<string, unknown>).filter(([, v]) => v !== undefined));
}

const CASES: [string | undefined, string][] = [
  ['code=429', ''],
  ['code=200, example=full', ''],
  ['code=201; example=full', ''],
  ['example="with spaces"', ''],
  ['dynamic=true', ''],
  ['dynamic=false, seed=42', ''],
  ['code=42', ''],
  ['code=abc', ''],
  ['dynamic=yes', ''],
  ['code', ''],
  ['respond-async, wait=5', ''],
  ['CODE=503', ''],
  [undefined, '?__code=404'],
  [undefined, '?__example=full&__dynamic=false'],
  [undefined, '?__code=9999'],
  ['code=500', '?__code=404'],
];

describe('Prefer is read as the Prism CLI reads it', () => {
  it.each(CASES)('Prefer %j with query %j', (prefer, query) => {
    const ours = parsePreference(request(prefer, query));
    const theirs = prism(prefer, query);
    if (theirs === 'refused') expect(typeof ours).toBe('string');
    else expect(ours).toEqual(theirs);
  });
});
