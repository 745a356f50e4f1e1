/**
 * Step 2: CORS. Reflects an allowed origin and lists every header a UI needs to read, by name:
 * a `*` in Access-Control-Expose-Headers exposes nothing to credentialed requests (Fetch §3.2.5).
 * @module
 */
import { RATE_LIMIT_HEADER_NAMES } from '../policy/index.js';
import type { Exchange } from './exchange.js';

export interface CorsOptions {
  /** Origins allowed to read responses; `*` (the default) reflects any origin. */
  origins?: string[] | '*';
}

/** Response headers a browser may read. */
export const EXPOSED_HEADERS = [
  ...new Set([
    ...RATE_LIMIT_HEADER_NAMES,
    'Retry-After',
    'X-Request-Id',
    'Location',
    'Link',
    'Idempotent-Replayed',
    'Deprecation',
    'Sunset',
    'X-Traceloom-Degraded',
  ]),
].join(', ');

const ALLOWED_HEADERS = 'Authorization, Content-Type, X-Api-Key, Idempotency-Key, X-Request-Id, Prefer';
const ALLOWED_METHODS = 'GET, POST, PATCH, PUT, DELETE, OPTIONS';

/** Adds CORS headers to `headers`; answers a preflight itself and returns true when it did. */
export function applyCors(x: Exchange, headers: Record<string, string>, options: CorsOptions = {}): boolean {
  const origin = x.headers.origin as string | undefined;
  const allowed = origin !== undefined && (options.origins === undefined || options.origins === '*' || options.origins.includes(origin));
  if (allowed) {
    headers['Access-Control-Allow-Origin'] = origin;
    headers['Access-Control-Allow-Credentials'] = 'true';
    headers['Access-Control-Expose-Headers'] = EXPOSED_HEADERS;
  }
  headers.Vary = 'Origin';
  if (x.method === 'OPTIONS' && x.headers['access-control-request-method']) {
    if (allowed) {
      headers['Access-Control-Allow-Methods'] = ALLOWED_METHODS;
      headers['Access-Control-Allow-Headers'] = ALLOWED_HEADERS;
      headers['Access-Control-Max-Age'] = '600';
    }
    x.res.writeHead(204, headers);
    x.res.end();
    return true;
  }
  return false;
}
