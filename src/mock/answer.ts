/**
 * Prism answering: a request that asks for an example (`Prefer`, `__code`…) or has no stateful
 * handler gets Prism's example-driven (or dynamic) answer; a forced 4xx/5xx, or an error example
 * Prism picks, becomes our problem for that code (examples.ts), with real, consistent headers.
 * @module
 */
import type { Answer, OperationRequest } from '../http/index.js';
import { forcedProblem, preferenceFor, type ExampleContext } from './examples.js';
import type { PrismResponder } from './prism.js';

/** What answering through Prism needs; swapped as a whole on hot reload. */
export interface PrismContext extends ExampleContext {
  /** Prism, created on first use (its modules take about a second to load). */
  prism: () => Promise<PrismResponder>;
}

/** Prism's answer to the request, or our problem for a forced or example error status. */
export async function prismAnswer(ctx: PrismContext, req: OperationRequest): Promise<Answer> {
  const preferred = await preferenceFor(ctx, req);
  if ('answer' in preferred) return preferred.answer;
  const { pref } = preferred;
  let answer;
  try {
    answer = await (await ctx.prism()).answer(req, pref);
  } catch (err) {
    return { problem: 'invalid_request', members: { detail: `Prism could not answer: ${(err as Error).message}` } };
  }
  if (answer.status >= 400) return forcedProblem(ctx, req, answer.status, pref.exampleKey);
  return { status: answer.status, body: answer.body, contentType: answer.contentType, usage: {} };
}
