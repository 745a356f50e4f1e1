/**
 * The Retries and backoff guide: which codes to retry (the registry's `retryable`), what to wait
 * for (the headers the contract documents on those responses), capped exponential backoff with
 * full jitter, and how Idempotency-Key and client-chosen ids make POSTs safe to repeat.
 * @module
 */
import { block, blocks, code, table } from '../format.js';
import { errorLink, errorsWhere, headersWithCode, operationLink, parameterNames, type Guide, type GuideContext } from './context.js';

const IDEMPOTENCY_HEADER = 'Idempotency-Key';

export const retries: Guide = {
  slug: 'retries',
  title: 'Retries and backoff',
  summary:
    'Which errors to retry and which never to, how long to wait (Retry-After, RateLimit, backoff with jitter), and how Idempotency-Key makes POSTs safe to repeat.',
  body(ctx: GuideContext): string {
    const { model, document } = ctx;
    const retryable = errorsWhere(model, (e) => e.retryable);
    const final = errorsWhere(model, (e) => !e.retryable);
    const idempotent = model.operations.filter((op) => parameterNames(document, op).includes(IDEMPOTENCY_HEADER));
    const idempotencyParam = Object.values<any>(document.components?.parameters ?? {}).find((p) => p?.name === IDEMPOTENCY_HEADER);
    const conflicts = errorsWhere(model, (e) => e.status === 409);
    const statuses = (errs: typeof retryable) => [...new Set(errs.map((e) => e.status))].sort((a, b) => a - b);

    return blocks(
      'Retry a request only when its problem says `"retryable": true`. Everything else fails the same way until the request, the plan or the tenant changes.',
      '## Retry these',
      table(
        ['Code', 'Status', 'Wait for'],
        retryable.map((e) => {
          const headers = headersWithCode(document, e.code).filter((h) => /^retry-after$/i.test(h));
          return [errorLink(ctx, e.code), String(e.status), headers.length ? `${code(headers[0]!)} seconds` : 'exponential backoff with jitter'];
        }),
      ),
      'Network errors and timeouts are retryable too, but only for requests that are safe to repeat: `GET`, `DELETE`, and POSTs that carry an ' +
        `${code(IDEMPOTENCY_HEADER)} (see below).`,
      '## Never retry these',
      `Statuses ${statuses(final).join(', ')}: fix the request, change the plan, or wait for the period the problem names.`,
      table(
        ['Code', 'Status', 'What to do instead'],
        final.map((e) => [errorLink(ctx, e.code), String(e.status), e.description]),
      ),
      '## How long to wait',
      [
        '1. `Retry-After` on the response, when present (delay-seconds).',
        '2. Otherwise `t` of the exhausted item in `RateLimit` (the one whose `r` is 0), or `X-RateLimit-Reset` minus the current epoch time.',
        '3. Otherwise capped exponential backoff with full jitter: before attempt n (from 1), wait a random time between 0 and min(cap, base × 2ⁿ⁻¹).',
        '4. Give up after a bounded number of attempts, and surface the last problem with its `request_id`.',
      ].join('\n'),
      'Pace yourself before the server says no: when `r` of a `RateLimit` item reaches 0, wait its `t` seconds before the next request. ' +
        'The SDK does all of this; for your own client:',
      block(
        'ts',
        [
          '// base and cap are your choice (the SDK uses its own defaults); attempt counts from 1',
          'function delayMs(response: Response, attempt: number, baseMs = 500, capMs = 30_000): number {',
          "  const retryAfter = Number(response.headers.get('Retry-After'));",
          '  if (Number.isFinite(retryAfter) && retryAfter >= 0) return retryAfter * 1000;',
          '  return Math.random() * Math.min(capMs, baseMs * 2 ** (attempt - 1));',
          '}',
        ].join('\n'),
      ),
      '## Safe retries for POST',
      idempotent.length > 0 &&
        `${idempotencyParam?.description ? String(idempotencyParam.description).trim() : ''} ` +
          `These operations accept ${code(IDEMPOTENCY_HEADER)}: ${idempotent.map((op) => operationLink(ctx, op, op.operationId)).join(', ')}.`,
      conflicts.length > 0 &&
        blocks(
          'Conflicts tell you what happened to the first attempt:',
          table(
            ['Code', 'Meaning'],
            conflicts.map((e) => [errorLink(ctx, e.code), e.description]),
          ),
        ),
    );
  },
};
