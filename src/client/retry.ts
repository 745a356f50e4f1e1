/**
 * The client's transport: a `fetch` for openapi-fetch that paces, retries and times out.
 *
 * Why a `fetch` wrapper and not a retry library or an openapi-fetch middleware: middleware
 * cannot resend (onResponse gets one Response and the request body is already consumed), and the
 * retry helpers we looked at (p-retry, ky's retry, fetch-retry) compute their own delays — none
 * reads the draft-11 `RateLimit` field, none shares a pacing gate across calls, and p-retry
 * would still need all of this code around it. So the loop is ours, ~100 lines, and every rule in
 * it has a test. User middleware (`client.use`) still runs once around the whole exchange.
 * @module
 */
import { errorCodes } from '../../generated/limits.js';
import { TraceloomError, retryAfterSeconds } from './errors.js';
import { parseLegacyRateLimit, parseRateLimit } from './headers.js';
import type { ClientContext } from './options.js';
import { policiesOf } from './routes.js';

/** Methods a repeat cannot apply twice (RFC 9110 §9.2.2); other requests need an Idempotency-Key. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** Builds the `fetch` openapi-fetch calls: one logical request in, its final response out. */
export function createTransport(ctx: ClientContext): (request: Request) => Promise<Response> {
  return async function send(request: Request): Promise<Response> {
    // 1. Every POST gets an Idempotency-Key, the same for all its attempts (DESIGN §3.6).
    const headers = new Headers(request.headers);
    if (request.method === 'POST' && !headers.has('idempotency-key')) headers.set('idempotency-key', crypto.randomUUID());
    // 2. Without a response we cannot know whether the server applied the request: resend only
    //    what cannot be applied twice.
    const replayable = IDEMPOTENT.has(request.method) || headers.has('idempotency-key');
    // 3. Read the body once so that each attempt can send it again.
    const body = request.body ? await request.arrayBuffer() : undefined;
    const signal = ctx.signal ? AbortSignal.any([request.signal, ctx.signal]) : request.signal;
    const policies = policiesOf(request.method, new URL(request.url).pathname);
    const deadline = ctx.now() + ctx.maxWaitMs;

    for (let attempt = 0; ; attempt++) {
      // 4. Pacing: wait while a policy of this operation has nothing left (shared across calls).
      const ticket = ctx.gate ? await ctx.gate.acquire(policies, deadline, signal) : null;
      // 5. One attempt, with its own timeout.
      let response: Response;
      try {
        const attemptSignal = AbortSignal.any([signal, AbortSignal.timeout(ctx.timeoutMs)]);
        response = await ctx.fetch(new Request(request, { headers, body, signal: attemptSignal }));
      } catch (cause) {
        if (ticket) ctx.gate!.abandon(ticket);
        if (signal.aborted) throw signal.reason;
        const error = transportError(cause, request);
        const delay = backoff(ctx, attempt);
        if (!replayable || attempt >= ctx.maxRetries || ctx.now() + delay > deadline) throw error;
        await sleep(delay, signal);
        continue;
      }
      if (ticket) ctx.gate!.observe(ticket, response);
      // 6. Retry only what a repeat can fix, within the retry count and the wait budget.
      if (attempt >= ctx.maxRetries || !(await isRetryable(response))) return response;
      const delay = retryDelay(ctx, response, attempt);
      if (ctx.now() + delay > deadline) return response;
      await response.body?.cancel().catch(() => undefined);
      await sleep(delay, signal);
    }
  };
}

/**
 * 429 and 5xx are worth repeating, unless the problem's code is in the registry as not
 * retryable (e.g. a 501 `not_implemented`). 4xx never are: a 402 quota is not fixed by waiting.
 */
export async function isRetryable(response: Response): Promise<boolean> {
  if (response.status !== 429 && response.status < 500) return false;
  const code = await problemCode(response);
  const known = code ? (errorCodes as Record<string, { retryable: boolean }>)[code] : undefined;
  return known ? known.retryable : true;
}

async function problemCode(response: Response): Promise<string | undefined> {
  if (!/json/i.test(response.headers.get('content-type') ?? '')) return undefined;
  try {
    const body = (await response.clone().json()) as { code?: unknown };
    return typeof body?.code === 'string' ? body.code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How long to wait before repeating, in order: `Retry-After`; else the `RateLimit` `t` of an
 * exhausted policy (draft-11 §4); else `X-RateLimit-Reset` when `X-RateLimit-Remaining` is 0;
 * else capped exponential backoff with full jitter.
 */
export function retryDelay(ctx: Pick<ClientContext, 'now' | 'random' | 'backoffBaseMs' | 'backoffMaxMs'>, response: Response, attempt: number): number {
  const now = ctx.now();
  const retryAfter = retryAfterSeconds(response.headers, now);
  if (retryAfter !== null) return retryAfter * 1000;
  const exhausted = parseRateLimit(response.headers.get('ratelimit')).filter((i) => i.remaining === 0);
  if (exhausted.length) return Math.max(...exhausted.map((i) => i.resetSeconds)) * 1000;
  const legacy = parseLegacyRateLimit(response.headers);
  if (legacy?.remaining === 0 && legacy.resetAtMs !== null) return Math.max(0, legacy.resetAtMs - now);
  return backoff(ctx, attempt);
}

/** Full jitter (a uniform draw below the capped exponential step). */
function backoff(ctx: Pick<ClientContext, 'random' | 'backoffBaseMs' | 'backoffMaxMs'>, attempt: number): number {
  return Math.floor(ctx.random() * Math.min(ctx.backoffMaxMs, ctx.backoffBaseMs * 2 ** attempt));
}

function transportError(cause: unknown, request: Request): TraceloomError {
  const timeout = cause instanceof Error && cause.name === 'TimeoutError';
  const { pathname } = new URL(request.url);
  return new TraceloomError({
    status: 0,
    code: timeout ? 'timeout' : 'network_error',
    cause,
    message: timeout
      ? `${request.method} ${pathname} timed out; raise \`timeoutMs\` if the operation is slow`
      : `${request.method} ${pathname} failed before a response arrived: ${cause instanceof Error ? ((cause.cause as Error | undefined)?.message ?? cause.message) : String(cause)}`,
  });
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
