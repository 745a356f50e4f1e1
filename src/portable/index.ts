/**
 * Hashing, randomness and byte encodings that run unchanged in Node and in a browser page (the
 * MSW handlers): nothing here imports a `node:` module or uses `Buffer`. SHA-256 and Ed25519 come
 * from the audited `@noble` libraries (synchronous, unlike Web Crypto's `subtle`); randomness from
 * the Web Crypto `getRandomValues` that Node and browsers both provide.
 * @module
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export const utf8 = (text: string): Uint8Array => encoder.encode(text);

/** SHA-256 of a string (as UTF-8) or of bytes. */
export function sha256Bytes(data: string | Uint8Array): Uint8Array {
  return sha256(typeof data === 'string' ? utf8(data) : data);
}

/** SHA-256 as lower-case hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return bytesToHex(sha256Bytes(data));
}

/** Lower-case hex of bytes. */
export const toHex = (bytes: Uint8Array): string => bytesToHex(bytes);

/** Fills `bytes` with cryptographically strong random values (in slices: getRandomValues takes ≤ 64 KiB). */
export function fillRandom(bytes: Uint8Array): Uint8Array {
  for (let i = 0; i < bytes.length; i += 65536) globalThis.crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return bytes;
}

/**
 * A one-byte copy of a Latin-1 string, for text the hot path puts into every answer (policy names
 * in rate-limit headers, plan ids in bodies). Names read from the YAML contract are two bytes per
 * character in V8 as soon as a file holds one character beyond Latin-1 (an em dash), and so is
 * every string built from one: a header or JSON body is then assembled and written to the socket
 * as UTF-16. Joining the characters makes a one-byte string (a Latin-1 character is one in V8).
 * Only a copy kept for output helps: a string used as a property name is interned, and V8 then
 * points it at the two-byte interned original.
 */
export function oneByte(text: string): string {
  return /^[\x00-\xff]*$/.test(text) ? text.split('').join('') : text;
}

/** `length` random bytes. */
export const randomBytes = (length: number): Uint8Array => fillRandom(new Uint8Array(length));

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_INDEX[B64.charCodeAt(i)] = i;
B64_INDEX['-'.charCodeAt(0)] = 62; // base64url
B64_INDEX['_'.charCodeAt(0)] = 63;

/** Base64 (or base64url, with `url`) of bytes; base64url without padding. */
export function toBase64(bytes: Uint8Array, url = false): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) out += B64[bytes[i]! >> 2]! + B64[(bytes[i]! & 3) << 4]! + '==';
  else if (rest === 2) {
    const n = (bytes[i]! << 8) | bytes[i + 1]!;
    out += B64[n >> 10]! + B64[(n >> 4) & 63]! + B64[(n & 15) << 2]! + '=';
  }
  return url ? out.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') : out;
}

/** Bytes of a base64 or base64url string; characters outside either alphabet are skipped, as Node's decoder does. */
export function fromBase64(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4) + 3);
  let bits = 0;
  let value = 0;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B64_INDEX[c]! : -1;
    if (v < 0) {
      if (c === 61) break; // '=' ends the data
      continue;
    }
    value = (value << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (value >> bits) & 255;
    }
  }
  return out.subarray(0, n);
}

/** Ed25519 signing with a 32-byte seed (RFC 8032), and verification; deterministic like Node's. */
export const ed25519Sign = (message: Uint8Array, seed: Uint8Array): Uint8Array => ed25519.sign(message, seed);
export const ed25519PublicKey = (seed: Uint8Array): Uint8Array => ed25519.getPublicKey(seed);
export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, publicKey);
  } catch {
    return false; // a malformed signature or key is a failed verification
  }
}

/** UTF-8 length of a string without encoding it (Content-Length of a text answer). */
export function utf8Length(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      n += 2; // a surrogate pair: 4 bytes for 2 UTF-16 units
      i++;
    } else n += 2;
  }
  return n;
}

/**
 * A value now, or a promise of it later: what a step or a store answers when it waits only when
 * it has something to wait for (an in-memory store answers at once; Redis answers later). The
 * caller awaits a promise and goes straight on with a value.
 */
export type Later<T> = T | Promise<T>;
