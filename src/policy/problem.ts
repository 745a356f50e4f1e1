/**
 * RFC 9457 problem details from the contract's error registry (DESIGN §3.3).
 * @module
 */
import type { ContractModel } from '../contract/model.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** `instance` holds at most this many characters (openapi/components/schemas/Problem.yaml). */
const MAX_INSTANCE = 2048;

/** Per-response parts of a problem; any other member (snake_case) is appended as is. */
export interface ProblemOptions {
  /** The request path (RFC 9457 §3.1.5), e.g. `/v1/ingest`. */
  instance: string;
  requestId: string;
  /** Occurrence-specific explanation; defaults to the registry's description of the code. */
  detail?: string;
  [member: string]: unknown;
}

/** An `application/problem+json` body. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  request_id: string;
  retryable: boolean;
  [member: string]: unknown;
}

/**
 * The problem body for `code`: `type` is `<docs_base_url>/errors#<code>` (the code's section in
 * the rendered docs), `title`/`status`/`retryable` come from the registry, extension members
 * (`retry_after_seconds`, `limit`, `required_plan`, …) follow in the order given. Typical use:
 * `problem(model, decision.code, {instance, requestId, ...decision.problem})`.
 */
export function problem(model: ContractModel, code: string, options: ProblemOptions): Problem {
  const def = model.errors[code];
  if (!def) {
    throw new Error(`unknown error code \`${code}\`; add it to x-traceloom.errors in openapi/ or use one of: ${Object.keys(model.errors).join(', ')}`);
  }
  const { instance, requestId, detail, ...members } = options;
  return {
    type: `${model.docsBaseUrl.replace(/\/+$/, '')}/errors#${code}`,
    title: def.title,
    status: def.status,
    detail: detail ?? def.description,
    // A longer request path is cut to fit, never mid percent-escape (it stays a URI reference).
    instance: instance.length <= MAX_INSTANCE ? instance : instance.slice(0, MAX_INSTANCE).replace(/%[0-9A-Fa-f]?$/, ''),
    code,
    request_id: requestId,
    retryable: def.retryable,
    ...members,
  };
}
