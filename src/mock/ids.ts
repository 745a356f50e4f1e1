/**
 * Random resource ids, e.g. `prj_7Hq2Lm9Xa3`.
 * @module
 */
import { randomBytes } from '../portable/index.js';

const ID_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** A random id with a prefix, e.g. `prj_7Hq2Lm9Xa3`. */
export function newId(prefix: string, length = 10): string {
  const bytes = randomBytes(length);
  let s = `${prefix}_`;
  for (const b of bytes) s += ID_ALPHABET[b % ID_ALPHABET.length];
  return s;
}
