/**
 * Feedback on traces and spans.
 * @module
 */
import { newId } from '../ids.js';
import { found, iso, notFound, page, type Resource, type Schemas } from './context.js';

const createFeedback: Resource = async (req, tenantId, ctx) => {
  const b = req.body as Schemas['FeedbackCreate'];
  const trace = await ctx.state.get(tenantId, 'traces', b.trace_id);
  if (!trace) return notFound('trace', b.trace_id);
  if (b.span_id && !trace.spans.some((s) => s.span_id === b.span_id)) return notFound('span', b.span_id);
  const fb: Schemas['Feedback'] = { id: newId('fb'), ...b, source: b.source ?? 'api', created_at: iso(ctx.now()) };
  await ctx.state.insert(tenantId, 'feedback', fb.id, fb);
  return { status: 201, body: fb };
};

const listFeedback: Resource = (req, tenantId, ctx) => {
  const traceId = req.query.trace_id;
  return page(req, tenantId, ctx, 'feedback', { order: 'desc', filter: traceId ? (f) => f.trace_id === traceId : undefined });
};

const getFeedback: Resource = async (req, tenantId, ctx) =>
  found(await ctx.state.get(tenantId, 'feedback', req.params.feedback_id!), 'feedback', req.params.feedback_id!);

/** The feedback handlers by operationId. */
export const feedbackResources: Record<string, Resource> = { createFeedback, listFeedback, getFeedback };
