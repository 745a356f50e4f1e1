/**
 * Answers from the contract's examples, without Prism: a forced error status (`Prefer: code=4xx`)
 * becomes our problem for that code with real, consistent headers (the forced 429 is rendered by
 * src/policy); a success is the named (or first) example of the preferred (or first) 2xx
 * response. The mock server uses the problem half and leaves successes to Prism; the MSW handlers,
 * which cannot load Prism in a browser, use both.
 * @module
 */
import type { ContractModel } from '../contract/model.js';
import { resolveRef } from '../contract/read.js';
import type { OpenApiDocument } from '../contract/bundle.js';
import type { Answer, OperationRequest, TenantDirectory } from '../http/pipeline.js';
import { forcedRateLimit } from '../policy/refusals.js';
import { parsePreference, type Preference } from './prefer.js';

/** What answering from examples needs; swapped as a whole on hot reload. */
export interface ExampleContext {
  document: OpenApiDocument;
  model: ContractModel;
  directory: TenantDirectory;
  now: () => number;
}

export function operationOf(ctx: ExampleContext, req: OperationRequest) {
  return ctx.document.paths[req.operation.path][req.operation.method.toLowerCase()];
}

const invalid = (detail: string): Answer => ({ problem: 'invalid_request', members: { detail } });

/**
 * The request's preference, or the answer it already decides: the problem for bad syntax or a code
 * the operation does not declare, or our problem for a forced 4xx/5xx.
 */
export async function preferenceFor(ctx: ExampleContext, req: OperationRequest): Promise<{ pref: Preference } | { answer: Answer }> {
  const pref = parsePreference(req);
  if (typeof pref === 'string') return { answer: invalid(pref) };
  const op = operationOf(ctx, req);
  if (pref.code !== undefined && !op.responses?.[String(pref.code)]) {
    return {
      answer: invalid(
        `Prefer code=${pref.code} is not declared for ${req.operation.method} ${req.operation.path}; declared: ${Object.keys(op.responses).join(', ')}.`,
      ),
    };
  }
  if (pref.code !== undefined && pref.code >= 400) return { answer: await forcedProblem(ctx, req, pref.code, pref.exampleKey) };
  return { pref };
}

/** The contract's example answer for the request (the MSW handlers' stand-in for Prism's static answers). */
export async function exampleAnswer(ctx: ExampleContext, req: OperationRequest): Promise<Answer> {
  const preferred = await preferenceFor(ctx, req);
  if ('answer' in preferred) return preferred.answer;
  const { pref } = preferred;
  const responses: Record<string, unknown> = operationOf(ctx, req).responses ?? {};
  const status = pref.code ?? Number(Object.keys(responses).find((s) => /^2\d\d$/.test(s)) ?? 200);
  const response = resolveRef(ctx.document, responses[String(status)]) ?? {};
  const [contentType, media] = Object.entries<Record<string, any>>(response.content ?? {})[0] ?? [];
  if (!media) return { status, usage: {} };
  const examples: Record<string, unknown> = media.examples ?? {};
  const key = pref.exampleKey && examples[pref.exampleKey] ? pref.exampleKey : Object.keys(examples)[0];
  const body = key ? resolveRef(ctx.document, examples[key])?.value : (media.example ?? resolveRef(ctx.document, media.schema)?.example);
  return { status, body, contentType, usage: {} };
}

/** The contract's problem example for `status` (the named one, else the first). */
function exampleProblem(ctx: ExampleContext, req: OperationRequest, status: number, exampleKey?: string): Record<string, any> {
  const resolved = resolveRef(ctx.document, operationOf(ctx, req).responses[String(status)]);
  const examples = resolved?.content?.['application/problem+json']?.examples ?? {};
  const key = exampleKey && examples[exampleKey] ? exampleKey : Object.keys(examples)[0];
  return key ? (resolveRef(ctx.document, examples[key])?.value ?? {}) : {};
}

/** `Prefer: code=4xx/5xx`: our problem for the example's code, with real, consistent headers. */
export async function forcedProblem(ctx: ExampleContext, req: OperationRequest, status: number, exampleKey?: string): Promise<Answer> {
  const example = exampleProblem(ctx, req, status, exampleKey);
  const code: string = example.code ?? Object.values(ctx.model.errors).find((e) => e.status === status)?.code ?? 'internal_error';
  const { type: _t, title: _ti, status: _s, instance: _i, request_id: _r, retryable: _re, code: _c, ...members } = example;
  const forced = code === 'rate_limited' && req.decision ? forcedRateLimit(req.decision, ctx.now()) : null;
  if (forced) return { problem: forced.code, members: { ...members, ...forced.members }, headers: forced.headers };
  const headers: Record<string, string> = typeof members.retry_after_seconds === 'number' ? { 'Retry-After': String(members.retry_after_seconds) } : {};
  if (code === 'plan_upgrade_required' && req.principal) members.current_plan = await ctx.directory.planOf(req.principal.tenantId);
  return { problem: code, members, headers };
}
