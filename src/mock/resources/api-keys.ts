/**
 * API keys: created under the plan's cap (the secret is shown once), listed, revoked (which gives
 * the cap unit back). Keys created here authenticate on every instance sharing the store.
 * @module
 */
import { keyDoc } from '../directory.js';
import { newId } from '../ids.js';
import type { KeyDoc } from '../store/index.js';
import { audit, iso, notFound, page, type Resource, type Schemas } from './context.js';
import { capCheck, capRefusal } from './caps.js';

/** What the API shows of a key. */
function keyView(k: KeyDoc, lastUsedMs: number | undefined): Schemas['ApiKey'] {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes as Schemas['Scope'][],
    project_id: k.projectId ?? '',
    created_at: k.createdAt,
    last_used_at: lastUsedMs === undefined ? null : iso(lastUsedMs),
    revoked: k.revoked,
  };
}

const listApiKeys: Resource = async (req, tenantId, ctx) => {
  const uses = await ctx.state.keyUses(tenantId);
  return page(req, tenantId, ctx, 'keys', { order: 'desc', view: (k) => keyView(k, uses[k.id]) });
};

const createApiKey: Resource = async (req, tenantId, ctx) => {
  const b = req.body as Schemas['ApiKeyCreate'];
  if (!(await ctx.state.get(tenantId, 'projects', b.project_id))) return notFound('project', b.project_id);
  const secret = `tl_${b.environment === 'test' ? 'test' : 'live'}_${newId('k', 32).slice(2)}`;
  const key = keyDoc({
    id: newId('key'),
    tenantId,
    scopes: b.scopes,
    projectId: b.project_id,
    revoked: false,
    name: b.name,
    secret,
    createdAt: iso(ctx.now()),
  });
  const r = await ctx.state.insert(tenantId, 'keys', key.id, key, { cap: capCheck(ctx, 'api_keys') });
  if (!r.ok) return capRefusal(ctx, tenantId, 'api_keys', r);
  await audit(ctx, tenantId, req, 'api_key.created', key.id);
  return { status: 201, body: { ...keyView(key, undefined), secret }, headers: { Location: `/v1/api-keys/${key.id}` } };
};

const getApiKey: Resource = async (req, tenantId, ctx) => {
  const id = req.params.key_id!;
  const k = await ctx.state.get(tenantId, 'keys', id);
  return k ? { status: 200, body: keyView(k, (await ctx.state.keyUses(tenantId))[id]) } : notFound('API key', id);
};

const revokeApiKey: Resource = async (req, tenantId, ctx) => {
  const id = req.params.key_id!;
  const k = await ctx.state.update(tenantId, 'keys', id, (doc) => (doc.revoked ? undefined : { ...doc, revoked: true }), { release: 'api_keys' });
  if (!k) return notFound('API key', id);
  await audit(ctx, tenantId, req, 'api_key.revoked', id);
  return { status: 204 };
};

/** The API key handlers by operationId. */
export const apiKeyResources: Record<string, Resource> = { listApiKeys, createApiKey, getApiKey, revokeApiKey };
