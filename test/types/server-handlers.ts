/**
 * Type tests for generated/server.ts, checked by `npm run typecheck`: a handler may return only
 * the responses its operation declares, with the declared body. Each `@ts-expect-error` fails
 * the typecheck if the line below it ever compiles.
 */
import type { Handlers, IngestTraceHandler, OperationId } from '../../generated/server.js';
import { operations } from '../../generated/server.js';
import type { components } from '../../generated/types.js';

type Problem = components['schemas']['Problem'];
const problem: Problem = {
  type: 'https://docs.traceloom.dev/errors#not_found',
  title: 'Not found',
  status: 404,
  code: 'not_found',
  request_id: 'req_1',
  retryable: false,
};

/** A correct implementation compiles: declared statuses, declared bodies, typed params. */
export const handlers: Handlers<{ tenantId: string }> = {
  ingestTrace: async (req, ctx) => {
    const key: string | undefined = req.headers['idempotency-key'];
    void key;
    void ctx.tenantId;
    return { status: 202, body: { status: 'accepted', trace_id: req.body.trace_id, spans_accepted: req.body.spans.length } };
  },
  getTrace: (req) => (req.path.trace_id === 'tr_missing' ? { status: 404, body: problem } : { status: 404, body: { ...problem, code: 'not_found' } }),
  deleteTrace: () => ({ status: 204 }),
  listTraces: (req) => {
    const limit: number | undefined = req.query.limit;
    void limit;
    return { status: 200, body: { data: [], next_cursor: null } };
  },
};

// TypeScript reports a handler's wrong return value on the declaration, so each case is one
// declaration with the directive right above it.

/** Returning a status the operation does not declare is a compile error. */
// @ts-expect-error 200 is not a status ingestTrace declares (it answers 202)
export const wrongStatus: IngestTraceHandler = (req) => ({ status: 200, body: { status: 'accepted', trace_id: req.body.trace_id, spans_accepted: 0 } });

/** Returning the body of another status is a compile error. */
// @ts-expect-error a 202 carries IngestAccepted, not a problem
export const wrongBody: IngestTraceHandler = () => ({ status: 202, body: problem });

/** Leaving out a required member of the body is a compile error. */
// @ts-expect-error spans_accepted is required in IngestAccepted
export const missingField: IngestTraceHandler = (req) => ({ status: 202, body: { status: 'accepted', trace_id: req.body.trace_id } });

/** A member of the wrong type is a compile error. */
// @ts-expect-error spans_accepted is an integer, not a string
export const wrongType: IngestTraceHandler = (req) => ({ status: 202, body: { status: 'accepted', trace_id: req.body.trace_id, spans_accepted: '1' } });

/** An undeclared error status is refused too (ingestTrace declares no 404). */
// @ts-expect-error 404 is not among ingestTrace's responses
export const undeclaredError: IngestTraceHandler = () => ({ status: 404, body: problem });

/** A 204 carries no body. */
// @ts-expect-error deleteTrace's 204 has no body
export const bodyOn204: Handlers['deleteTrace'] = () => ({ status: 204, body: problem });

/** The same checks hold for async handlers. */
// @ts-expect-error 201 is not a status ingestTrace declares
export const asyncWrongStatus: IngestTraceHandler = async () => ({ status: 201, body: { status: 'accepted', trace_id: 'tr_1', spans_accepted: 0 } });

/** Path parameters are typed by name. */
export const wrongParam: Handlers['getTrace'] = (req) => {
  // @ts-expect-error getTrace has `trace_id`, not `id`
  const id: string = req.path.id;
  return { status: 404, body: { ...problem, instance: id } };
};

/** Handlers are keyed by operationId; an unknown one is refused. */
export const unknownOperation: Handlers = {
  // @ts-expect-error `ingestTraces` is not an operationId
  ingestTraces: () => ({ status: 202, body: {} }),
};

/** The operations table covers every handler key, with method and path. */
export const ingest: { method: 'POST'; path: '/v1/ingest' } = operations.ingestTrace;
export const ids: OperationId[] = ['ingestBatch', 'getHealth'];
