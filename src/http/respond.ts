/**
 * Writing answers: JSON bodies and RFC 9457 problems built from the contract's registry.
 * @module
 */
import type { ContractModel } from '../contract/index.js';
import { problem, PROBLEM_CONTENT_TYPE } from '../policy/index.js';
import { utf8Length } from '../portable/index.js';
import type { ResponseSink } from './exchange.js';

/** UTF-8 length of a text answer: Node's native count where there is one, else counted here. */
const NodeBuffer = (globalThis as { Buffer?: { byteLength(text: string): number } }).Buffer;
const byteLength = NodeBuffer ? (text: string) => NodeBuffer.byteLength(text) : utf8Length;

export type HeaderMap = Record<string, string | number | string[]>;

/**
 * JSON text of bodies that cannot change: a handler that answers the same frozen body again (the
 * usage of a tenant while nothing it shows moves) has it serialised once. Freeze a body, and what
 * it holds, only when none of it will change.
 */
const texts = new WeakMap<object, string>();

/** A body as JSON text (kept for a frozen body). */
function jsonText(body: unknown): string {
  if (typeof body !== 'object' || body === null || !Object.isFrozen(body)) return JSON.stringify(body);
  let text = texts.get(body);
  if (text === undefined) texts.set(body, (text = JSON.stringify(body)));
  return text;
}

/** Writes a complete response; a JSON body is serialised unless it is already bytes or a string. */
export function send(res: ResponseSink, status: number, body: unknown, headers: HeaderMap = {}, contentType = 'application/json'): void {
  if (res.headersSent || res.writableEnded) return;
  // One writeHead with every header: Node's fast path (setHeader per header costs ~15% here).
  if (body === undefined || status === 204 || status === 304) {
    res.writeHead(status, headers as Record<string, string>);
    res.end();
    return;
  }
  const payload = typeof body === 'string' || body instanceof Uint8Array ? body : jsonText(body);
  headers['Content-Type'] = contentType;
  headers['Content-Length'] = typeof payload === 'string' ? byteLength(payload) : payload.byteLength;
  res.writeHead(status, headers as Record<string, string>);
  res.end(payload);
}

export interface ProblemContext {
  model: ContractModel;
  requestId: string;
  instance: string;
  /** Headers already collected for this response (request id, CORS, rate limits). */
  headers?: HeaderMap;
  /** Told the code and headers of every problem written (the request log records them). */
  onProblem?: (code: string, headers: HeaderMap) => void;
}

/** Writes the problem for a registry `code`; `members` add detail and code-specific fields. */
export function sendProblem(res: ResponseSink, ctx: ProblemContext, code: string, members: Record<string, unknown> = {}, headers: HeaderMap = {}): void {
  const body = problem(ctx.model, code, { instance: ctx.instance, requestId: ctx.requestId, ...members });
  const all = { ...ctx.headers, ...headers };
  ctx.onProblem?.(code, all);
  send(res, body.status, body, all, PROBLEM_CONTENT_TYPE);
}
