/**
 * Step 1 of the pipeline: every response carries `X-Request-Id` (DESIGN §3.4).
 * @module
 */
import { fillRandom } from '../portable/index.js';

const VALID = /^[A-Za-z0-9_-]{8,64}$/;
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODES = Array.from(ALPHABET, (c) => c.charCodeAt(0));
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
  const p = pool;
  const o = offset;
  offset += ID_BYTES;
  // One string made at once (appending a character at a time makes a chain of 16 that is flattened when written).
  const c = (i: number) => CODES[p[o + i]! & 31]!;
  return 'req_' + String.fromCharCode(c(0), c(1), c(2), c(3), c(4), c(5), c(6), c(7), c(8), c(9), c(10), c(11), c(12), c(13), c(14), c(15));
}
