/**
 * Step 1 of the pipeline: every response carries `X-Request-Id` (DESIGN §3.4).
 * @module
 */
import { fillRandom } from '../portable/index.js';

const VALID = /^[A-Za-z0-9_-]{8,64}$/;
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ID_BYTES = 16;

// Random bytes are drawn 4 KiB at a time: one call per 256 ids instead of one per request.
const pool = new Uint8Array(4096);
let offset = pool.length;

/** Echoes a valid incoming `X-Request-Id`, else makes `req_` + 16 Crockford base32 characters. */
export function requestIdOf(incoming: string | string[] | undefined): string {
  if (typeof incoming === 'string' && VALID.test(incoming)) return incoming;
  if (offset + ID_BYTES > pool.length) {
    fillRandom(pool);
    offset = 0;
  }
  let id = 'req_';
  for (let i = offset; i < offset + ID_BYTES; i++) id += ALPHABET[pool[i]! & 31];
  offset += ID_BYTES;
  return id;
}
