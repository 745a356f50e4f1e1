/**
 * `Idempotency-Key` (DESIGN §3.6): the first answer to a key is kept for 24 h and replayed for a
 * repeat with the same body; the same key with another body is 409 `idempotency_key_reused`.
 * @module
 */
import { createHash } from 'node:crypto';

export interface StoredAnswer {
  bodyDigest: string;
  status: number;
  body: unknown;
  headers: Record<string, string>;
  contentType: string;
  expiresAt: number;
}

/** Where idempotent answers live; the default keeps them in memory. */
export interface IdempotencyStore {
  get(key: string, now: number): StoredAnswer | undefined;
  set(key: string, answer: StoredAnswer): void;
  clear(): void;
}

export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** SHA-256 of a request body, the form in which bodies are compared. */
export function bodyDigest(raw: Buffer | undefined): string {
  return createHash('sha256').update(raw ?? Buffer.alloc(0)).digest('hex');
}

/** A bounded in-memory store: expired and oldest entries go first. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, StoredAnswer>();
  constructor(private readonly maxEntries = 10_000) {}

  get(key: string, now: number): StoredAnswer | undefined {
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return hit;
  }

  set(key: string, answer: StoredAnswer): void {
    this.entries.delete(key);
    this.entries.set(key, answer);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  clear(): void {
    this.entries.clear();
  }
}
