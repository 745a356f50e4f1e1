/**
 * `Prefer: code=…, example=…, dynamic=…, seed=…` (and the `__code`/`__example`/`__dynamic`/
 * `__seed` query parameters): a request asking for the contract's example answer rather than the
 * stateful one. Parsed with `parse-prefer-header`, the parser Prism itself uses, and decoded by
 * Prism's rules (a three-digit code, a boolean `dynamic`), with no Prism module loaded: the MSW
 * handlers parse preferences in a browser.
 * @module
 */
import parsePreferHeader from 'parse-prefer-header';
import type { OperationRequest } from '../http/pipeline.js';

export interface Preference {
  code?: number;
  exampleKey?: string;
  dynamic?: boolean;
  seed?: string;
}

const QUERY = ['__code', '__example', '__dynamic', '__seed'];

/** True when the request asks for the example-driven answer explicitly (Prefer header or `__` query). */
export function asksForExample(req: OperationRequest): boolean {
  if (typeof req.headers.prefer === 'string' && /\b(code|example|dynamic|seed)=/.test(req.headers.prefer)) return true;
  if (!req.search) return false; // nothing to look for (and no URL to build)
  for (const k of QUERY) if (req.url.searchParams.has(k)) return true;
  return false;
}

/** The request's preference; a string is what is wrong with it. The header wins over the query, as in Prism. */
export function parsePreference(req: OperationRequest): Preference | string {
  const prefer = req.headers.prefer;
  const raw: Record<string, unknown> = prefer
    ? parsePreferHeader(prefer)
    : Object.fromEntries(QUERY.filter((k) => req.url.searchParams.has(k)).map((k) => [k.slice(2), req.url.searchParams.get(k)]));
  const out: Preference = {};
  const { code, dynamic, seed, example } = raw;
  if (code !== undefined) {
    if (typeof code !== 'string' || !/^\d{3}$/.test(code))
      return `Prefer is not understood: code must be a three-digit HTTP status, not ${JSON.stringify(code)}.`;
    out.code = Number(code);
  }
  if (dynamic !== undefined) {
    if (dynamic !== 'true' && dynamic !== 'false') return `Prefer is not understood: dynamic must be true or false, not ${JSON.stringify(dynamic)}.`;
    out.dynamic = dynamic === 'true';
  }
  for (const [name, value] of [
    ['seed', seed],
    ['example', example],
  ] as const) {
    if (value === undefined) continue;
    if (typeof value !== 'string') return `Prefer is not understood: ${name} needs a value.`;
    if (name === 'seed') out.seed = value;
    else out.exampleKey = value;
  }
  return out;
}
