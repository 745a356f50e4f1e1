/**
 * traceloom-rate-limit-headers: a rate-limited operation documents 429 with `Retry-After` and both
 * header families on every 2xx and 4xx response; an operation without `x-traceloom-rate-limit`
 * documents none of them (DESIGN §3.4; draft-ietf-httpapi-ratelimit-headers-11 §3–4).
 * Replaces owasp:api4:2023-rate-limit, whose oneOf rejects documenting both families.
 */
import { headerNames, operations, responses } from '../lib/contract.js';

/** The IETF structured fields and the legacy X-RateLimit-* fields, as documented. */
const RATE_LIMIT_HEADERS = ['RateLimit', 'RateLimit-Policy', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'X-RateLimit-Policy'];
const KEY = 'x-traceloom-rate-limit';

/** Spectral function; given the resolved root document. */
export default function rateLimitHeaders(doc) {
  const results = [];
  for (const operation of operations(doc)) {
    const limited = operation.op[KEY] !== undefined;
    const all = [...responses(operation)];
    if (limited) {
      const tooMany = all.find((r) => r.status === '429');
      if (!tooMany) {
        results.push({
          message: `${operation.label} declares \`${KEY}\` but documents no 429 response; add \`'429': $ref: components/responses/TooManyRequests.yaml\`.`,
          path: [...operation.path, 'responses'],
        });
      } else if (!headerNames(tooMany.response).has('retry-after')) {
        results.push({
          message: `The 429 response of ${operation.label} does not document \`Retry-After\`; add it (RFC 9110 §10.2.3) so clients know when to retry.`,
          path: [...tooMany.path, 'headers'],
        });
      }
      for (const r of all) {
        if (r.cls !== '2' && r.cls !== '4') continue;
        const present = headerNames(r.response);
        const missing = RATE_LIMIT_HEADERS.filter((h) => !present.has(h.toLowerCase()));
        if (missing.length === 0) continue;
        results.push({
          message: `The ${r.status} response of ${operation.label} does not document ${missing.join(', ')}; a rate-limited operation sends both header families on every 2xx and 4xx response (DESIGN §3.4): add them from components/headers.`,
          path: r.response.headers === undefined ? r.path : [...r.path, 'headers'],
        });
      }
    } else {
      for (const r of all) {
        if (r.status === '429') {
          results.push({
            message: `${operation.label} has no \`${KEY}\`, so it is not rate-limited, yet documents a 429 response; remove the 429 or declare the policies that apply.`,
            path: r.path,
          });
        }
        const present = headerNames(r.response);
        const stray = RATE_LIMIT_HEADERS.filter((h) => present.has(h.toLowerCase()));
        if (stray.length === 0) continue;
        results.push({
          message: `The ${r.status} response of ${operation.label} documents ${stray.join(', ')}, but the operation has no \`${KEY}\` and sends no rate-limit headers; remove them or declare the policies that apply.`,
          path: [...r.path, 'headers'],
        });
      }
    }
  }
  return results;
}
