/**
 * `Idempotency-Key` (DESIGN §3.6): the first answer to a key is kept for 24 h and replayed for a
 * repeat with the same body; the same key with another body is 409 `idempotency_key_reused`.
 * @module
 */
import { sha256Hex, type Later } from '../portable/index.js';

export interface StoredAnswer {
  bodyDigest: string;
  status: number;
  body: unknown;
  headers: Record<string, string>;
  contentType: string;
  expiresAt: number;
}

/**
 * Where idempotent answers live, per tenant; the default keeps them in memory, the mock keeps
 * them in its state store (shared by every instance on Redis). `key` is `<operationId>:<Idempotency-Key>`.
 */
export interface IdempotencyStore {
  /** The answer kept for the key, unless it expired by `now` (ms on the request clock). */
  get(tenantId: string, key: string, now: number): Later<StoredAnswer | undefined>;
  /** Keeps the answer unless one is kept already: the first success wins. */
  set(tenantId: string, key: string, answer: StoredAnswer): Later<void>;
}

export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** SHA-256 of a request body, the form in which bodies are compared. */
export function bodyDigest(raw: Uint8Array | undefined): string {
  return sha256Hex(raw ?? EMPTY);
}

const EMPTY = new Uint8Array(0);

/** A bounded in-memory store: expired and oldest entries go first. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, StoredAnswer>();
  constructor(private readonly maxEntries = 10_000) {}

  get(tenantId: string, key: string, now: number): StoredAnswer | undefined {
    key = `${tenantId}:${key}`;
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return hit;
  }

  set(tenantId: string, key: string, answer: StoredAnswer): void {
    key = `${tenantId}:${key}`;
    if (this.entries.has(key)) return;
    this.entries.set(key, answer);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}
