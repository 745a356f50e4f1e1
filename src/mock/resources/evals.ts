/**
 * Eval runs (complete on first read, with a deterministic score) and eval rules (capped per plan).
 * @module
 */
import { sha256Bytes } from '../../portable/index.js';
import { newId } from '../ids.js';
import { found, iso, notFound, page, type Resource, type Schemas } from './context.js';
import { capCheck, capRefusal } from './caps.js';

const createEval: Resource = async (req, tenantId, ctx) => {
  const b = req.body as Schemas['EvalCreate'];
  if (!(await ctx.state.get(tenantId, 'traces', b.trace_id))) return notFound('trace', b.trace_id);
  const ev: Schemas['Eval'] = {
    id: newId('ev'),
    trace_id: b.trace_id,
    evaluator: b.evaluator,
    status: 'queued',
    score: null,
    reasoning: null,
    created_at: iso(ctx.now()),
    completed_at: null,
  };
  await ctx.state.insert(tenantId, 'evals', ev.id, ev);
  return { status: 202, body: ev };
};

const getEval: Resource = async (req, tenantId, ctx) => {
  const id = req.params.eval_id!;
  const ev = await ctx.state.update(tenantId, 'evals', id, (e) => {
    if (e.status !== 'queued') return undefined;
    // Runs complete on first read: a deterministic score from the ids.
    const h = sha256Bytes(e.id + e.trace_id);
    return {
      ...e,
      status: 'succeeded',
      score: Math.round((h[0]! / 255) * 100) / 100,
      reasoning: `Mock ${e.evaluator} evaluation.`,
      completed_at: iso(ctx.now()),
    };
  });
  return found(ev, 'eval run', id);
};

const listEvals: Resource = (req, tenantId, ctx) => {
  const traceId = req.query.trace_id;
  return page(req, tenantId, ctx, 'evals', { order: 'desc', filter: traceId ? (e) => e.trace_id === traceId : undefined });
};

const listEvalRules: Resource = (req, tenantId, ctx) => page(req, tenantId, ctx, 'evalRules', { order: 'asc' });

const createEvalRule: Resource = async (req, tenantId, ctx) => {
  const at = iso(ctx.now());
  const rule: Schemas['EvalRule'] = { id: newId('rule'), enabled: true, ...(req.body as Schemas['EvalRuleCreate']), created_at: at, updated_at: at };
  const r = await ctx.state.insert(tenantId, 'evalRules', rule.id, rule, { cap: capCheck(ctx, 'eval_rules') });
  if (!r.ok) return capRefusal(ctx, tenantId, 'eval_rules', r);
  return { status: 201, body: rule, headers: { Location: `/v1/eval-rules/${rule.id}` } };
};

const getEvalRule: Resource = async (req, tenantId, ctx) =>
  found(await ctx.state.get(tenantId, 'evalRules', req.params.rule_id!), 'eval rule', req.params.rule_id!);

const updateEvalRule: Resource = async (req, tenantId, ctx) => {
  const change = req.body as Schemas['EvalRuleUpdate'];
  const rule = await ctx.state.update(tenantId, 'evalRules', req.params.rule_id!, (r) => ({ ...r, ...change, updated_at: iso(ctx.now()) }));
  return found(rule, 'eval rule', req.params.rule_id!);
};

const deleteEvalRule: Resource = async (req, tenantId, ctx) =>
  (await ctx.state.remove(tenantId, 'evalRules', req.params.rule_id!, { release: 'eval_rules' }))
    ? { status: 204 }
    : notFound('eval rule', req.params.rule_id!);

/** The eval and eval-rule handlers by operationId. */
export const evalResources: Record<string, Resource> = {
  createEval,
  getEval,
  listEvals,
  listEvalRules,
  createEvalRule,
  getEvalRule,
  updateEvalRule,
  deleteEvalRule,
};
