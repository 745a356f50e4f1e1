/**
 * The Errors guide: one section per code of the contract's error registry. Each section's
 * heading is the bare code, so its Redoc route is `<base>/errors/<code>` and a problem's `type`
 * URI (`<docs_base_url>/errors#<code>`, RFC 9457 §3.1.1) lands on it (see links.ts).
 * @module
 */
import type { ErrorDef } from '../../contract/index.js';
import { block, blocks, code, table } from '../format.js';
import { errorLink, headersWithCode, operationLink, operationsReturning, problemExample, type Guide, type GuideContext } from './context.js';

/** The guide's title; its slug (`errors`) is the path segment of every problem `type` URI. */
export const ERRORS_TITLE = 'Errors';

function section(ctx: GuideContext, e: ErrorDef): string {
  const ops = operationsReturning(ctx.model, e.code);
  const same = (group: typeof ops) => group.length === ops.length && group.every((op) => ops.includes(op));
  const all = same(ctx.model.operations)
    ? 'every operation'
    : same(ctx.model.operations.filter((op) => op.policies.length > 0))
      ? 'every rate-limited operation'
      : same(ctx.model.operations.filter((op) => op.security.length > 0))
        ? 'every operation that needs a credential'
        : null;
  const example = problemExample(ctx, e.code);
  const waitFor = headersWithCode(ctx.document, e.code).filter((h) => /^retry-after$/i.test(h));
  const retry = e.retryable
    ? `Yes${waitFor.length ? `: wait the response's ${code(waitFor[0]!)} seconds, then send it again` : ', with exponential backoff and jitter'}.`
    : 'No: sending the same request again fails the same way.';
  return blocks(
    `## ${e.code}`,
    table(['Status', 'Title', 'Retry'], [[String(e.status), e.title, retry]]),
    e.description,
    ops.length > 0 && `Returned by ${all ?? ops.map((op) => operationLink(ctx, op, op.operationId)).join(', ')}.`,
    example && blocks('Example body:', block('json', JSON.stringify(example, null, 2))),
  );
}

export const errors: Guide = {
  slug: 'errors',
  title: ERRORS_TITLE,
  summary: "Every error code with its HTTP status, meaning, whether to retry, and an example problem body; a problem's `type` URI links to its section.",
  body(ctx: GuideContext): string {
    const { model } = ctx;
    const list = Object.values(model.errors);
    return blocks(
      'Every 4xx and 5xx response body is an RFC 9457 problem (`application/problem+json`). Branch on `code`: it is stable, ' +
        'while `title` and `detail` are for people and may change. `type` is ' +
        `${code(`${model.docsBaseUrl.replace(/\/+$/, '')}/errors#<code>`)} and leads to the code's section below; ` +
        '`retryable` says whether sending the same request again can succeed, and `request_id` identifies the request in our logs.',
      table(
        ['Code', 'Status', 'Title', 'Retry'],
        list.map((e) => [errorLink(ctx, e.code), String(e.status), e.title, e.retryable ? 'yes' : 'no']),
      ),
      ...list.map((e) => section(ctx, e)),
    );
  },
};
