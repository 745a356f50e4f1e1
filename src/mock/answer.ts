/**
 * Prism answering: a request that asks for Prism (`Prefer`, `__code`…) or has no stateful
 * handler gets Prism's example-driven answer; a forced 4xx/5xx becomes our problem for that
 * code, with real, consistent headers (the forced 429 is rendered by src/policy).
 * @module
 */
import { resolveRef, type ContractModel, type OpenApiDocument } from '../contract/index.js';
import type { Answer, OperationRequest, TenantDirectory } from '../http/index.js';
import { forcedRateLimit } from '../policy/index.js';
import { preferenceOf, type PrismResponder } from './prism.js';

/** What answering through Prism needs; swapped as a whole on hot reload. */
export interface PrismContext {
  document: OpenApiDocument;
  model: ContractModel;
  /** Prism, created on first use (its modules take about a second to load). */
  prism: () => Promise<PrismResponder>;
  directory: TenantDirectory;
  now: () => number;
}

function operationOf(ctx: PrismContext, req: OperationRequest) {
  return ctx.document.paths[req.operation.path][req.operation.method.toLowerCase()];
}

/** Prism's answer to the request, or our problem for a forced or example error status. */
export async function prismAnswer(ctx: PrismContext, req: OperationRequest): Promise<Answer> {
  const pref = await preferenceOf(req);
  if (typeof pref === 'string') return { problem: 'invalid_request', members: { detail: pref } };
  const op = operationOf(ctx, req);
  if (pref.code !== undefined && !op.responses?.[String(pref.code)]) {
    return {
      problem: 'invalid_request',
      members: {
        detail: `Prefer code=${pref.code} is not declared for ${req.operation.method} ${req.operation.path}; declared: ${Object.keys(op.responses).join(', ')}.`,
      },
    };
  }
  if (pref.code !== undefined && pref.code >= 400) return forcedProblem(ctx, req, pref.code, pref.exampleKey);
  let answer;
  try {
    answer = await (await ctx.prism()).answer(req, pref);
  } catch (err) {
    return { problem: 'invalid_request', members: { detail: `Prism could not answer: ${(err as Error).message}` } };
  }
  if (answer.status >= 400) return forcedProblem(ctx, req, answer.status, pref.exampleKey);
  return { status: answer.status, body: answer.body, contentType: answer.contentType, usage: {} };
}

/** The contract's problem example for `status` (the named one, else the first). */
function exampleProblem(ctx: PrismContext, req: OperationRequest, status: number, exampleKey?: string): Record<string, any> {
  const resolved = resolveRef(ctx.document, operationOf(ctx, req).responses[String(status)]);
  const examples = resolved?.content?.['application/problem+json']?.examples ?? {};
  const key = exampleKey && examples[exampleKey] ? exampleKey : Object.keys(examples)[0];
  return key ? (resolveRef(ctx.document, examples[key])?.value ?? {}) : {};
}

/** `Prefer: code=4xx/5xx`: our problem for the example's code, with real, consistent headers. */
async function forcedProblem(ctx: PrismContext, req: OperationRequest, status: number, exampleKey?: string): Promise<Answer> {
  const example = exampleProblem(ctx, req, status, exampleKey);
  const code: string = example.code ?? Object.values(ctx.model.errors).find((e) => e.status === status)?.code ?? 'internal_error';
  const { type: _t, title: _ti, status: _s, instance: _i, request_id: _r, retryable: _re, code: _c, ...members } = example;
  const forced = code === 'rate_limited' && req.decision ? forcedRateLimit(req.decision, ctx.now()) : null;
  if (forced) return { problem: forced.code, members: { ...members, ...forced.members }, headers: forced.headers };
  const headers: Record<string, string> = typeof members.retry_after_seconds === 'number' ? { 'Retry-After': String(members.retry_after_seconds) } : {};
  if (code === 'plan_upgrade_required' && req.principal) members.current_plan = await ctx.directory.planOf(req.principal.tenantId);
  return { problem: code, members, headers };
}
