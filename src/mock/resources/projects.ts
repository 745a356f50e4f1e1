/**
 * Projects: created under the plan's cap, archived (never the last active one), unarchived.
 * @module
 */
import { newId } from '../ids.js';
import { all, audit, found, iso, notFound, page, type Resource, type Schemas } from './context.js';
import { capCheck, capRefusal } from './caps.js';

const listProjects: Resource = (req, tenantId, ctx) => page(req, tenantId, ctx, 'projects', { order: 'asc' });

const createProject: Resource = async (req, tenantId, ctx) => {
  const p: Schemas['Project'] = {
    id: newId('prj'),
    name: (req.body as Schemas['ProjectCreate']).name,
    status: 'active',
    created_at: iso(ctx.now()),
    archived_at: null,
  };
  const r = await ctx.state.insert(tenantId, 'projects', p.id, p, { cap: capCheck(ctx, 'projects') });
  if (!r.ok) return capRefusal(ctx, tenantId, 'projects', r);
  await audit(ctx, tenantId, req, 'project.created', p.id);
  return { status: 201, body: p, headers: { Location: `/v1/projects/${p.id}` } };
};

const getProject: Resource = async (req, tenantId, ctx) =>
  found(await ctx.state.get(tenantId, 'projects', req.params.project_id!), 'project', req.params.project_id!);

const updateProject: Resource = async (req, tenantId, ctx) => {
  const name = (req.body as Schemas['ProjectUpdate']).name;
  const p = await ctx.state.update(tenantId, 'projects', req.params.project_id!, (doc) => (name === undefined ? undefined : { ...doc, name }));
  return found(p, 'project', req.params.project_id!);
};

const archiveProject: Resource = async (req, tenantId, ctx) => {
  const id = req.params.project_id!;
  const p = await ctx.state.get(tenantId, 'projects', id);
  if (!p) return notFound('project', id);
  if (p.status === 'archived') return { status: 200, body: p };
  // Not atomic with a concurrent archive of another project: two instances may each archive one of the last two.
  if ((await all(tenantId, ctx, 'projects')).filter((q) => q.status === 'active').length === 1) {
    return { problem: 'cannot_archive_last_project', members: { detail: `${p.id} is the last active project of this tenant.`, project_id: p.id } };
  }
  const archived = await ctx.state.update(tenantId, 'projects', id, (doc) =>
    doc.status === 'archived' ? undefined : { ...doc, status: 'archived', archived_at: iso(ctx.now()) },
  );
  await audit(ctx, tenantId, req, 'project.archived', id);
  return found(archived, 'project', id);
};

const unarchiveProject: Resource = async (req, tenantId, ctx) => {
  const id = req.params.project_id!;
  const p = await ctx.state.update(tenantId, 'projects', id, (doc) => ({ ...doc, status: 'active', archived_at: null }));
  if (!p) return notFound('project', id);
  await audit(ctx, tenantId, req, 'project.unarchived', id);
  return { status: 200, body: p };
};

/** The project handlers by operationId. */
export const projectResources: Record<string, Resource> = { listProjects, createProject, getProject, updateProject, archiveProject, unarchiveProject };
