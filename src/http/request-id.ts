/**
 * Step 1 of the pipeline: every response carries `X-Request-Id` (DESIGN §3.4).
 * @module
 */
import { randomBytes } from 'node:crypto';

const VALID = /^[A-Za-z0-9_-]{8,64}$/;
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Echoes a valid incoming `X-Request-Id`, else makes `req_` + 16 Crockford base32 characters. */
export function requestIdOf(incoming: string | string[] | undefined): string {
  if (typeof incoming === 'string' && VALID.test(incoming)) return incoming;
  const bytes = randomBytes(16);
  let id = 'req_';
  for (const b of bytes) id += ALPHABET[b & 31];
  return id;
}
