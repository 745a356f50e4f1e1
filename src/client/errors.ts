/**
 * Typed errors (RFC 9457 problem details) and the helpers that turn openapi-fetch's
 * `{data, error, response}` result into data or a {@link TraceloomError}.
 *
 * The choice: HTTP errors are *returned*, as openapi-fetch users expect (`error` is the parsed
 * problem body, `response` the Response), and {@link unwrap} / {@link toTraceloomError} turn that
 * into a typed error. Transport failures (connection refused or reset, timeout), which
 * openapi-fetch surfaces by rejecting, reject with a `TraceloomError` of status 0. An abort by
 * the caller's own signal rejects with the signal's reason, as `fetch` does.
 * @module
 */
import { errorCodes, type ErrorCode } from '../../generated/limits.js';
import type { components } from '../../generated/types.js';

/** An RFC 9457 problem body as the contract defines it (DESIGN §3.3). */
export type Problem = components['schemas']['Problem'];

/** Codes the client itself reports for failures that never reached an HTTP response. */
export type TransportCode = 'network_error' | 'timeout';

export interface TraceloomErrorInit {
  status: number;
  code: string;
  requestId?: string | null;
  retryAfter?: number | null;
  problem?: Problem | null;
  response?: Response;
  cause?: unknown;
  message?: string;
}

/** An error answer of the Traceloom API, or a transport failure (status 0). */
export class TraceloomError extends Error {
  /** HTTP status; 0 when no response arrived. */
  readonly status: number;
  /** The stable machine-readable code: a registry code, `network_error` or `timeout`. */
  readonly code: ErrorCode | TransportCode | (string & {});
  /** `X-Request-Id` of the response (quote it to support), or null. */
  readonly requestId: string | null;
  /** Seconds the server asked to wait (`Retry-After`), or null. */
  readonly retryAfter: number | null;
  /** The RFC 9457 body, when the server sent one. */
  readonly problem: Problem | null;
  /** Whether the same request can succeed later (from the contract's error registry). */
  readonly retryable: boolean;
  /** The response, when there was one. */
  readonly response: Response | undefined;

  constructor(init: TraceloomErrorInit) {
    super(init.message ?? describe(init), init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'TraceloomError';
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId ?? null;
    this.retryAfter = init.retryAfter ?? null;
    this.problem = init.problem ?? null;
    this.response = init.response;
    const known = (errorCodes as Record<string, { retryable: boolean }>)[init.code];
    this.retryable = known ? known.retryable : init.status === 0 || init.status === 429 || init.status >= 500;
  }
}

function describe(init: TraceloomErrorInit): string {
  const what = init.problem?.detail ?? init.problem?.title ?? (errorCodes as Record<string, { title: string }>)[init.code]?.title ?? 'request failed';
  const id = init.requestId ? ` (request ${init.requestId})` : '';
  return `${init.status || 'no response'} ${init.code}: ${what}${id}`;
}

/** The registry code for a status when exactly one code has it (e.g. 503 → `service_unavailable`). */
function codeForStatus(status: number): string {
  const codes = Object.entries(errorCodes).filter(([, e]) => e.status === status);
  return codes.length === 1 ? codes[0]![0] : `http_${status}`;
}

/** Reads `Retry-After` as seconds (delay-seconds or an HTTP-date; RFC 9110 §10.2.3). */
export function retryAfterSeconds(headers: Headers, now = Date.now()): number | null {
  const value = headers.get('retry-after')?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && typeof (value as Problem).code === 'string';
}

/** Builds the typed error for an error response and its parsed body (openapi-fetch's `error`). */
export function errorFromResponse(response: Response, body: unknown): TraceloomError {
  const problem = isProblem(body) ? body : null;
  return new TraceloomError({
    status: response.status,
    code: problem?.code ?? codeForStatus(response.status),
    requestId: response.headers.get('x-request-id') ?? problem?.request_id ?? null,
    retryAfter: retryAfterSeconds(response.headers) ?? problem?.retry_after_seconds ?? null,
    problem,
    response,
  });
}

/** The shape of every openapi-fetch result. */
export interface FetchResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/** The {@link TraceloomError} for an error result, or undefined for a success. */
export function toTraceloomError(result: FetchResult): TraceloomError | undefined {
  return result.response.ok ? undefined : errorFromResponse(result.response, result.error);
}

/** The body of a successful result; `undefined` for operations that answer without one (204). */
export type DataOf<R extends FetchResult> = [Exclude<R['data'], undefined>] extends [never] ? undefined : Exclude<R['data'], undefined>;

/** Returns `data` of a successful result; throws a {@link TraceloomError} otherwise. */
export function unwrap<R extends FetchResult>(result: R): DataOf<R> {
  const error = toTraceloomError(result);
  if (error) throw error;
  return result.data as DataOf<R>;
}

/** True for a {@link TraceloomError} (also across duplicated module copies). */
export function isTraceloomError(value: unknown): value is TraceloomError {
  return value instanceof TraceloomError || (value instanceof Error && value.name === 'TraceloomError');
}
