/**
 * What every resource handler gets, and the helpers they share: not-found answers, the audit
 * log, and cursor pages read from the {@link StateStore} (cursor = the last item's insertion
 * sequence number, so a cursor stays valid while others insert).
 * @module
 */
import type { components } from '../../../generated/types.js';
import type { ContractModel } from '../../contract/index.js';
import type { Answer, OperationRequest } from '../../http/index.js';
import type { PolicyStore } from '../../policy/index.js';
import type { Later } from '../../portable/index.js';
import { newId } from '../ids.js';
import type { Collection, Docs, ListPage, StateStore } from '../store/index.js';

export type Schemas = components['schemas'];

/** The state a handler works on. */
export interface ResourceContext {
  state: StateStore;
  /** Usage meters live in the policy store. */
  policy: PolicyStore;
  model: ContractModel;
  now: () => number;
  /** `info.version` of the contract (health). */
  version: string;
}

/** A stateful operation: the authenticated tenant's request in, an answer out. */
export type Resource = (req: OperationRequest, tenantId: string, ctx: ResourceContext) => Later<Answer>;

/** ISO 8601 of ms on the mock clock. */
export const iso = (ms: number): string => new Date(ms).toISOString();

/** 404 `not_found` naming what is missing. */
export const notFound = (what: string, id: string): Answer => ({ problem: 'not_found', members: { detail: `No ${what} ${id} in this tenant.` } });

/** 200 with a stored document, or 404. */
export const found = <T>(doc: T | null, what: string, id: string): Answer => (doc ? { status: 200, body: doc } : notFound(what, id));

/** Who did it, for the audit log. */
export function actorOf(req: OperationRequest): Schemas['AuditEvent']['actor'] {
  return { type: req.principal?.kind === 'session' ? 'user' : 'api_key', id: req.principal?.keyId ?? 'system' };
}

/** The audit log keeps this many events per tenant. */
const AUDIT_KEEP = 1000;

/** Appends an audit event (the newest {@link AUDIT_KEEP} are kept). */
export async function audit(ctx: ResourceContext, tenantId: string, req: OperationRequest, action: string, target: string): Promise<void> {
  const event: Schemas['AuditEvent'] = { id: newId('aud'), action, actor: actorOf(req), target, occurred_at: iso(ctx.now()) };
  await ctx.state.insert(tenantId, 'audit', event.id, event, { keep: AUDIT_KEEP });
}

const CURSOR = /^c([0-9a-z]{1,11})$/;

export interface PageOptions<T> {
  order: 'asc' | 'desc';
  /** Only matching documents are returned (scanning on through the store). */
  filter?: (doc: T) => boolean;
  /** What the API shows of a document. */
  view?: (doc: T) => unknown;
}

/** One page of a collection with `next_cursor` and a `Link: rel="next"` header. */
export async function page<C extends Collection>(
  req: OperationRequest,
  tenantId: string,
  ctx: ResourceContext,
  collection: C,
  options: PageOptions<Docs[C]>,
): Promise<Answer> {
  const limit = Number(req.query.limit ?? 50);
  const cursor = req.query.cursor as string | undefined;
  let after: number | null = null;
  if (cursor !== undefined) {
    const m = CURSOR.exec(cursor);
    if (!m) return { problem: 'invalid_request', members: { detail: `Cursor \`${cursor}\` is not one this API issued; start again without it.` } };
    after = parseInt(m[1]!, 36);
  }
  const { filter, view = (d: Docs[C]) => d } = options;
  const data: unknown[] = [];
  let last: number | null = null;
  let more = false;
  scan: for (;;) {
    const got = await ctx.state.list(tenantId, collection, { order: options.order, after, limit: filter ? Math.max(limit, 100) : limit });
    for (const item of got.items) {
      after = item.seq;
      if (filter && !filter(item.doc)) continue;
      if (data.length === limit) {
        more = true;
        break scan;
      }
      data.push(view(item.doc));
      last = item.seq;
    }
    if (!got.more) break;
    if (!filter && data.length === limit) {
      more = true;
      break;
    }
  }
  const next = more && last !== null ? `c${last.toString(36)}` : null;
  const headers: Record<string, string> = {};
  if (next) {
    const url = new URL(req.url.pathname + req.url.search, 'http://localhost');
    url.searchParams.set('cursor', next);
    url.searchParams.set('limit', String(limit));
    headers.Link = `<${url.pathname}${url.search}>; rel="next"`;
  }
  return { status: 200, body: { data, next_cursor: next }, headers };
}

/** Every document of a collection, oldest first (metrics; bounded by the tenant's state). */
export async function all<C extends Collection>(tenantId: string, ctx: ResourceContext, collection: C): Promise<Docs[C][]> {
  const out: Docs[C][] = [];
  let after: number | null = null;
  for (;;) {
    const got: ListPage<Docs[C]> = await ctx.state.list(tenantId, collection, { order: 'asc', after, limit: 500 });
    for (const item of got.items) out.push(item.doc);
    if (!got.more || got.items.length === 0) return out;
    after = got.items.at(-1)!.seq;
  }
}
