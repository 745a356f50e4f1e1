/**
 * The Traceloom SDK (DESIGN §6, §9): `createClient()` returns the openapi-fetch client typed
 * with the contract's `paths` — retries, pacing and timeouts inside its transport — plus a
 * resource-style facade (`client.traces.list()`) and the ingest batcher (`client.ingest(trace)`).
 *
 * @example
 * const client = createClient({ apiKey: 'tl_test_pro_…', baseUrl: 'http://127.0.0.1:4010' });
 * const { data, error } = await client.GET('/v1/traces', { params: { query: { limit: 10 } } });
 * if (error) throw toTraceloomError({ error, response });
 * client.ingest({ trace_id: 'tr_…', name: 'support-answer', … });
 * await client.shutdown(); // flushes the batcher
 * @module
 */
import createFetchClient, { type Client } from 'openapi-fetch';
import { createSdk, type Sdk } from '../../generated/sdk.js';
import type { paths } from '../../generated/types.js';
import { Batcher, type BatcherStats, type Trace } from './batcher.js';
import { normalise, type ClientOptions } from './options.js';
import { createTransport } from './retry.js';

export { TraceloomError, isTraceloomError, toTraceloomError, unwrap, type DataOf, type FetchResult, type Problem, type TransportCode } from './errors.js';
export { sampled } from './batcher.js';
export type { BatcherOptions, ClientOptions } from './options.js';
export type { BatcherStats, Trace };
export type { Batcher };

/** `client.ingest`: queue a trace for the batcher; also the facade's ingest operations. */
export type Ingest = ((trace: Trace) => boolean) & Sdk['ingest'];

/** What {@link createClient} returns. */
export type TraceloomClient = Client<paths> &
  Omit<Sdk, 'ingest'> & {
    /** Queues one trace (returns false when sampled out or dropped); `ingest.trace()` etc. send at once. */
    ingest: Ingest;
    /** The ingest batcher behind `ingest()`, `flush()`, `shutdown()` and `stats()`. */
    batcher: Batcher;
    /** Sends everything queued; resolves when it is delivered or refused for good. */
    flush(): Promise<void>;
    /** Stops taking traces and flushes. Call it before the process exits. */
    shutdown(): Promise<void>;
    /** The batcher's counters (queued, accepted, duplicates, rejected, dropped, sampledOut…). */
    stats(): BatcherStats;
  };

/** Creates a client for the Traceloom API; see {@link ClientOptions} for the defaults. */
export function createClient(options: ClientOptions): TraceloomClient {
  const ctx = normalise(options);
  const headers: Record<string, string> = { ...ctx.headers };
  if (ctx.apiKey) headers.Authorization = `Bearer ${ctx.apiKey}`;
  const client = createFetchClient<paths>({ baseUrl: ctx.baseUrl, fetch: createTransport(ctx), headers });
  const { ingest: ingestOps, ...resources } = createSdk(client);
  const batcher = new Batcher((body, text) => client.POST('/v1/ingest/batch', { body, bodySerializer: () => text }), {
    ...ctx.batch,
    sampleRate: ctx.sampleRate,
    maxRetries: ctx.maxRetries,
    backoff: (attempt) => Math.floor(ctx.random() * Math.min(ctx.backoffMaxMs, ctx.backoffBaseMs * 2 ** attempt)),
  });
  const ingest: Ingest = Object.assign((trace: Trace) => batcher.add(trace), ingestOps);
  return Object.assign(client, resources, {
    ingest,
    batcher,
    flush: () => batcher.flush(),
    shutdown: () => batcher.shutdown(),
    stats: () => batcher.stats(),
  });
}
