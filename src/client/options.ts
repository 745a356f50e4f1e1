/**
 * Client options, normalised once into a context with explicit defaults (STYLE.md habit 6).
 * @module
 */
import { PacingGate } from './gate.js';

/** Options of the ingest batcher; limits can only be lowered below the contract's. */
export interface BatcherOptions {
  /** Traces per batch; default and maximum: the contract's `ingestBatch` `x-traceloom-max-items`. */
  maxItems?: number;
  /** Bytes per batch body; default and maximum: the contract's `ingestBatch` `x-traceloom-max-body`. */
  maxBytes?: number;
  /** A partial batch is sent this long after its first trace was queued. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Traces held (queued and in flight) at most; past it the drop policy applies. Default 10 000. */
  maxQueue?: number;
  /** Which trace a full queue drops: the one being added (default) or the oldest queued. */
  dropPolicy?: 'newest' | 'oldest';
  /** Batches in flight at once. Default 2. */
  concurrency?: number;
  /** Called once per trace the API refused for good (or that can never be sent), with the reason. */
  onRejected?: (traceId: string, code: string, detail?: string) => void;
}

export interface ClientOptions {
  /** `tl_live_…` / `tl_test_…`, sent as `Authorization: Bearer`. Omit only for public operations. */
  apiKey?: string;
  /** e.g. `https://api.traceloom.dev` or the mock's `http://127.0.0.1:4010`. */
  baseUrl: string;
  /** The fetch to use; default `globalThis.fetch`. */
  fetch?: (request: Request) => Promise<Response>;
  /** Retries after the first attempt. Default 4. */
  maxRetries?: number;
  /** Timeout of each attempt, until the response body is read. Default 30 000 ms. */
  timeoutMs?: number;
  /** Cap on the time one call spends waiting (pacing plus retry delays). Default 60 000 ms. */
  maxWaitMs?: number;
  /** First backoff step and cap for retries the server gives no delay for. Default 500 / 20 000 ms. */
  backoff?: { baseMs?: number; maxMs?: number };
  /** Hold requests while the server says a policy has no requests left. Default true. */
  pacing?: boolean;
  /** Share of traces the batcher keeps, chosen deterministically by `trace_id`. Default 1. */
  sampleRate?: number;
  /** Aborts every request of this client (and the batcher's). */
  signal?: AbortSignal;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
  /** Ingest batcher options. */
  batch?: BatcherOptions;
  /** Random source for jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** The normalised options every part of the client reads. */
export interface ClientContext {
  baseUrl: string;
  apiKey: string | undefined;
  fetch: (request: Request) => Promise<Response>;
  maxRetries: number;
  timeoutMs: number;
  maxWaitMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  gate: PacingGate | null;
  sampleRate: number;
  signal: AbortSignal | undefined;
  headers: Record<string, string>;
  batch: BatcherOptions;
  random: () => number;
  now: () => number;
}

/** Validates and fills in defaults; errors say which option is wrong and what it accepts. */
export function normalise(options: ClientOptions): ClientContext {
  if (!options || typeof options.baseUrl !== 'string' || !/^https?:\/\//.test(options.baseUrl)) {
    throw new TypeError(`createClient: \`baseUrl\` must be an http(s) URL, e.g. 'http://127.0.0.1:4010'; got ${JSON.stringify(options?.baseUrl)}`);
  }
  const count = (name: string, value: number | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    if (!Number.isFinite(value) || value < 0) throw new TypeError(`createClient: \`${name}\` must be a number ≥ 0; got ${value}`);
    return value;
  };
  const sampleRate = count('sampleRate', options.sampleRate, 1);
  if (sampleRate > 1) throw new TypeError(`createClient: \`sampleRate\` is a share in [0, 1]; got ${sampleRate}`);
  const fetchImpl = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  return {
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    apiKey: options.apiKey,
    fetch: fetchImpl,
    maxRetries: Math.floor(count('maxRetries', options.maxRetries, 4)),
    timeoutMs: count('timeoutMs', options.timeoutMs, 30_000),
    maxWaitMs: count('maxWaitMs', options.maxWaitMs, 60_000),
    backoffBaseMs: count('backoff.baseMs', options.backoff?.baseMs, 500),
    backoffMaxMs: count('backoff.maxMs', options.backoff?.maxMs, 20_000),
    gate: options.pacing === false ? null : new PacingGate(),
    sampleRate,
    signal: options.signal,
    headers: { ...options.headers },
    batch: { ...options.batch },
    random: options.random ?? Math.random,
    now: Date.now,
  };
}
