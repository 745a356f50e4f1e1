/**
 * The ingest batcher: buffers traces and sends them as `POST /v1/ingest/batch` within the
 * contract's item and byte limits (generated/limits.ts), on a timer, by sample rate; splits a
 * batch the server finds too large; resends only what a repeat can fix; counts every trace.
 *
 * Every trace queued ends in exactly one counter of {@link BatcherStats}: `accepted`,
 * `duplicates` (409 `trace_already_exists`: already stored, so delivered), `rejected` (refused
 * for good), `dropped` (the bounded queue was full, or the batcher was shut down), or is still
 * `queued` / `inFlight`. `sampledOut` traces were never queued.
 * @module
 */
import { errorCodes, operationLimits, type ErrorCode } from '../../generated/limits.js';
import type { components } from '../../generated/types.js';
import { TraceloomError, errorFromResponse, isTraceloomError } from './errors.js';
import type { BatcherOptions } from './options.js';

/** One trace as the ingest operations take it. */
export type Trace = components['schemas']['IngestTrace'];
type BatchResult = components['schemas']['BatchIngestResult'];

/** Codes the batcher acts on, checked against the contract's registry at compile time. */
const DUPLICATE: ErrorCode = 'trace_already_exists';
const BATCH_TOO_LARGE: ErrorCode = 'batch_too_large';
const PAYLOAD_TOO_LARGE: ErrorCode = 'payload_too_large';
const VALIDATION_FAILED: ErrorCode = 'validation_failed';

/** The contract's limits of `ingestBatch`; the batcher cannot exceed them. */
const LIMITS = operationLimits.ingestBatch;

export interface BatcherStats {
  /** Waiting to be sent. */
  queued: number;
  /** In a batch that has not been answered yet. */
  inFlight: number;
  accepted: number;
  /** Already stored by an earlier attempt or another sender: delivered. */
  duplicates: number;
  /** Refused for good (by the API, or too large to send at all). */
  rejected: number;
  /** Rejections by error code. */
  rejectedByCode: Record<string, number>;
  /** Lost to the bounded queue's drop policy, or offered after `shutdown()`. */
  dropped: number;
  /** Left out by `sampleRate`. */
  sampledOut: number;
  /** Batch requests sent (each may have been retried inside the client). */
  batches: number;
  /** Batches split in two after the server found them too large. */
  splits: number;
  /** Batches put back in the queue after retryable failures outlasted the client's retries. */
  requeues: number;
}

/** How the batcher sends one batch body; the client provides it (retries and pacing included). */
export type SendBatch = (body: { traces: Trace[] }, text: string) => Promise<{ data?: BatchResult; error?: unknown; response: Response }>;

interface Entry {
  trace: Trace;
  json: string;
  bytes: number;
  /** Times the API answered this trace with a retryable per-item rejection. */
  attempts: number;
  waiters: FlushWaiter[];
}

/** What the batcher needs from the client beyond {@link BatcherOptions}. */
export interface BatcherContext {
  sampleRate?: number;
  /** Retries of a trace the API rejects per item with a retryable code. */
  maxRetries?: number;
  /** Delay before retry `attempt` (the client's capped exponential backoff with jitter). */
  backoff?: (attempt: number) => number;
}

interface FlushWaiter {
  pending: number;
  settled: boolean;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** The batcher behind `client.ingest()`, `client.flush()` and `client.shutdown()`. */
export class Batcher {
  readonly #send: SendBatch;
  /** Lowered when the server proves it accepts less (413 / `batch_too_large`). */
  #maxItems: number;
  #maxBytes: number;
  readonly #interval: number;
  readonly #maxQueue: number;
  readonly #dropOldest: boolean;
  readonly #concurrency: number;
  readonly #sampleRate: number;
  readonly #maxRetries: number;
  readonly #backoff: (attempt: number) => number;
  readonly #onRejected: BatcherOptions['onRejected'];
  readonly #queue: Entry[] = [];
  /** Sum of `bytes` over `#queue`, so that deciding whether a full batch is waiting is O(1). */
  #queuedBytes = 0;
  readonly #inflight = new Set<Entry>();
  readonly #stats = { accepted: 0, duplicates: 0, rejected: 0, dropped: 0, sampledOut: 0, batches: 0, splits: 0, requeues: 0 };
  readonly #rejectedByCode: Record<string, number> = {};
  readonly #flushes = new Set<FlushWaiter>();
  #batchesInFlight = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** Set after a failure; cleared by the timer that ends the pause, or by a flush. */
  #paused = false;
  #failures = 0;
  #closed = false;

  constructor(send: SendBatch, options: BatcherOptions & BatcherContext = {}) {
    this.#send = send;
    const limit = (name: string, value: number | undefined, max: number) => {
      if (value === undefined) return max;
      if (!Number.isInteger(value) || value < 1 || value > max) {
        throw new TypeError(`createClient: \`batch.${name}\` must be an integer in [1, ${max}] (the contract's limit for ingestBatch); got ${value}`);
      }
      return value;
    };
    this.#maxItems = limit('maxItems', options.maxItems, LIMITS.maxItems.max);
    this.#maxBytes = limit('maxBytes', options.maxBytes, LIMITS.maxBodyBytes);
    this.#interval = options.flushIntervalMs ?? 1000;
    this.#maxQueue = options.maxQueue === undefined ? 10_000 : limit('maxQueue', options.maxQueue, Number.MAX_SAFE_INTEGER);
    this.#dropOldest = options.dropPolicy === 'oldest';
    this.#concurrency = options.concurrency === undefined ? 2 : limit('concurrency', options.concurrency, 64);
    this.#sampleRate = options.sampleRate ?? 1;
    this.#maxRetries = options.maxRetries ?? 4;
    this.#backoff = options.backoff ?? ((attempt) => Math.random() * Math.min(20_000, 500 * 2 ** attempt));
    this.#onRejected = options.onRejected;
  }

  /**
   * Queues one trace. Returns false when it was sampled out, dropped by a full queue (with the
   * `newest` policy) or offered after shutdown; every such trace is counted in {@link stats}.
   */
  add(trace: Trace): boolean {
    if (this.#closed) {
      this.#stats.dropped++;
      return false;
    }
    if (!sampled(trace.trace_id, this.#sampleRate)) {
      this.#stats.sampledOut++;
      return false;
    }
    const json = JSON.stringify(trace);
    const entry: Entry = { trace, json, bytes: utf8Length(json), attempts: 0, waiters: [] };
    if (this.#bodyBytes(1, entry.bytes) > this.#maxBytes) {
      this.#reject(entry, PAYLOAD_TOO_LARGE, `trace ${trace.trace_id} alone is larger than a batch may be (${this.#maxBytes} bytes)`);
      return false;
    }
    if (this.#queue.length + this.#inflight.size >= this.#maxQueue) {
      this.#stats.dropped++;
      if (!this.#dropOldest || this.#queue.length === 0) return false;
      const oldest = this.#queue.shift()!;
      this.#queuedBytes -= oldest.bytes;
      this.#settle(oldest);
    }
    this.#queue.push(entry);
    this.#queuedBytes += entry.bytes;
    if (!this.#timer) this.#arm(this.#interval);
    this.#pump(false);
    return true;
  }

  /**
   * Resolves when every trace queued before the call has been accepted, found duplicate or
   * rejected for good. Rejects with the error when a batch still fails after the client's
   * retries: those traces stay queued (nothing is lost) and are retried later.
   */
  flush(): Promise<void> {
    const entries = [...this.#inflight, ...this.#queue];
    if (entries.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: FlushWaiter = { pending: entries.length, settled: false, resolve, reject };
      for (const e of entries) e.waiters.push(waiter);
      this.#flushes.add(waiter);
      this.#paused = false; // a flush is a request to try now
      this.#pump(true);
    });
  }

  /** Stops taking traces, then flushes; later `add()` calls are counted as dropped. */
  async shutdown(): Promise<void> {
    this.#closed = true;
    try {
      await this.flush();
    } finally {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  /** Counters since creation; see the module comment for what each trace ends in. */
  stats(): BatcherStats {
    return {
      queued: this.#queue.length,
      inFlight: this.#inflight.size,
      ...this.#stats,
      rejectedByCode: { ...this.#rejectedByCode },
    };
  }

  /** Sends batches while there is room: full ones always, partial ones when `force`d (timer, flush). */
  #pump(force: boolean): void {
    const flushing = force || this.#flushes.size > 0;
    while (this.#batchesInFlight < this.#concurrency && this.#queue.length > 0 && !this.#paused) {
      if (!flushing && !this.#fullBatchWaiting()) return;
      const batch = this.#take();
      this.#batchesInFlight++;
      for (const e of batch) this.#inflight.add(e);
      void this.#deliver(batch).finally(() => {
        this.#batchesInFlight--;
        for (const e of batch) this.#inflight.delete(e);
        this.#pump(false);
      });
    }
  }

  /** True when the queue holds at least one batch that cannot grow any more. */
  #fullBatchWaiting(): boolean {
    return this.#queue.length >= this.#maxItems || this.#bodyBytes(this.#queue.length, this.#queuedBytes) > this.#maxBytes;
  }

  /** Takes the longest prefix of the queue that fits the item and byte limits (at least one trace). */
  #take(): Entry[] {
    let n = 0;
    let bytes = 0;
    while (n < this.#queue.length && n < this.#maxItems) {
      const next = this.#queue[n]!;
      if (n > 0 && this.#bodyBytes(n + 1, bytes + next.bytes) > this.#maxBytes) break;
      bytes += next.bytes;
      n++;
    }
    this.#queuedBytes -= bytes;
    return this.#queue.splice(0, n);
  }

  /** Exact size of `{"traces":[a,b,…]}` for `count` items of `itemBytes` in total. */
  #bodyBytes(count: number, itemBytes: number): number {
    return utf8Length(`{${JSON.stringify(LIMITS.maxItems.field)}:[]}`) + itemBytes + Math.max(0, count - 1);
  }

  async #deliver(batch: Entry[]): Promise<void> {
    this.#stats.batches++;
    const text = `{${JSON.stringify(LIMITS.maxItems.field)}:[${batch.map((e) => e.json).join(',')}]}`;
    let result: Awaited<ReturnType<SendBatch>>;
    try {
      result = await this.#send({ traces: batch.map((e) => e.trace) }, text);
    } catch (error) {
      // Transport failure after the client's retries (or an abort): keep the traces.
      this.#requeue(batch, error);
      return;
    }
    const { response } = result;
    if (response.ok) {
      this.#failures = 0;
      this.#settleResults(batch, result.data);
      return;
    }
    const error = errorFromResponse(response, result.error);
    // 1. Too large for the server: learn its real limit (the problem's `limit`, else half of
    //    what was refused) and resend; the next takes split the batch. One trace cannot be split.
    if (response.status === 413 || error.code === BATCH_TOO_LARGE) {
      if (batch.length === 1) return this.#reject(batch[0]!, error.code, error.message);
      this.#stats.splits++;
      const said = typeof error.problem?.limit === 'number' ? error.problem.limit : Infinity;
      if (response.status === 413) {
        const sent = utf8Length(text);
        this.#maxBytes = Math.min(this.#maxBytes, said < sent ? said : Math.ceil(sent / 2));
      } else {
        this.#maxItems = Math.max(1, Math.min(this.#maxItems, said < batch.length ? said : Math.ceil(batch.length / 2)));
      }
      this.#putBack(batch);
      return;
    }
    // 2. A whole batch refused as a duplicate: everything in it is already stored.
    if (error.code === DUPLICATE) {
      for (const e of batch) this.#deliver1(e, 'duplicate');
      return;
    }
    // 3. Validation names the bad traces by pointer (`/traces/3/...`): reject those, resend the rest.
    if (error.code === VALIDATION_FAILED && this.#rejectByPointer(batch, error)) return;
    // 4. Retryable after the client's own retries (429, 5xx): keep the traces for later.
    if (error.retryable) {
      this.#requeue(batch, error);
      return;
    }
    // 5. Anything else (401, 402 quota, 403 archived project…) will not change by resending.
    for (const e of batch) this.#reject(e, error.code, error.message);
  }

  #settleResults(batch: Entry[], data: BatchResult | undefined): void {
    const byIndex = new Map((data?.results ?? []).map((r) => [r.index, r]));
    const retry: Entry[] = [];
    const spent: Entry[] = [];
    let code = '';
    batch.forEach((entry, index) => {
      const r = byIndex.get(index);
      if (!r || r.status === 'accepted') return this.#deliver1(entry, 'accepted');
      if (r.code === DUPLICATE) return this.#deliver1(entry, 'duplicate');
      const known = r.code ? (errorCodes as Record<string, { retryable: boolean }>)[r.code] : undefined;
      if (!known?.retryable) return this.#reject(entry, r.code ?? 'rejected', r.detail);
      code = r.code!;
      (++entry.attempts > this.#maxRetries ? spent : retry).push(entry);
    });
    // Retryable per-item rejections go back after a backoff; past the retry count they are kept
    // queued like a failed batch (a flush waiting for them rejects), never dropped.
    if (retry.length) {
      this.#putBack(retry);
      this.#pause(this.#backoff(Math.max(...retry.map((e) => e.attempts)) - 1));
    }
    if (spent.length) {
      for (const e of spent) e.attempts = 0;
      this.#requeue(
        spent,
        new TraceloomError({
          status: 202,
          code,
          message: `${spent.length} trace(s) still rejected with \`${code}\` after ${this.#maxRetries} retries; they stay queued`,
        }),
      );
    }
  }

  #rejectByPointer(batch: Entry[], error: TraceloomError): boolean {
    const prefix = `/${LIMITS.maxItems.field}/`;
    const bad = new Map<number, string>();
    for (const item of error.problem?.errors ?? []) {
      if (!item.pointer.startsWith(prefix)) return false;
      const index = Number(item.pointer.slice(prefix.length).split('/')[0]);
      if (!Number.isInteger(index) || index < 0 || index >= batch.length) return false;
      bad.set(index, bad.get(index) ?? `${item.pointer}: ${item.message}`);
    }
    if (bad.size === 0) return false;
    const good: Entry[] = [];
    batch.forEach((e, i) => (bad.has(i) ? this.#reject(e, error.code, bad.get(i)) : good.push(e)));
    this.#putBack(good);
    return true;
  }

  /** Returns traces to the front of the queue; the timer makes sure they leave again. */
  #putBack(entries: Entry[]): void {
    for (const e of entries) {
      this.#inflight.delete(e);
      this.#queuedBytes += e.bytes;
    }
    this.#queue.unshift(...entries);
    if (!this.#timer) this.#arm(this.#interval);
  }

  #requeue(batch: Entry[], error: unknown): void {
    this.#stats.requeues++;
    this.#failures++;
    this.#putBack(batch);
    // Back off before the next attempt: the client already waited as long as it was allowed to.
    this.#pause(Math.min(Math.max(this.#interval, this.#backoff(this.#failures)), 30_000));
    const reason = isTraceloomError(error) || error instanceof Error ? error : new Error(String(error));
    for (const e of batch) {
      for (const w of e.waiters.splice(0)) this.#fail(w, reason);
    }
  }

  /** Sends nothing for `ms` (a flush cuts the pause short). */
  #pause(ms: number): void {
    this.#paused = true;
    this.#arm(ms);
  }

  #deliver1(entry: Entry, how: 'accepted' | 'duplicate'): void {
    if (how === 'accepted') this.#stats.accepted++;
    else this.#stats.duplicates++;
    this.#settle(entry);
  }

  #reject(entry: Entry, code: string, detail?: string): void {
    this.#stats.rejected++;
    this.#rejectedByCode[code] = (this.#rejectedByCode[code] ?? 0) + 1;
    this.#settle(entry);
    try {
      this.#onRejected?.(entry.trace.trace_id, code, detail);
    } catch {
      // a throwing callback must not break delivery of the other traces
    }
  }

  #settle(entry: Entry): void {
    this.#inflight.delete(entry);
    for (const w of entry.waiters.splice(0)) {
      if (!w.settled && --w.pending === 0) {
        w.settled = true;
        this.#flushes.delete(w);
        w.resolve();
      }
    }
  }

  #fail(w: FlushWaiter, error: unknown): void {
    if (w.settled) return;
    w.settled = true;
    this.#flushes.delete(w);
    w.reject(error);
  }

  #arm(ms: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#paused = false;
      this.#pump(true);
      if (this.#queue.length > 0 && !this.#timer) this.#arm(this.#interval);
    }, ms);
    this.#timer.unref?.();
  }
}

/** Keeps a trace when the FNV-1a hash of its id falls below `rate` (deterministic per trace_id). */
export function sampled(traceId: string, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  let h = 0x811c9dc5;
  for (let i = 0; i < traceId.length; i++) {
    h ^= traceId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 2 ** 32 < rate;
}

/** UTF-8 length of a string without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
