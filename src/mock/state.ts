/**
 * The mock's tenant state: projects, keys, traces, feedback, evals, eval rules, attestations and
 * audit events per tenant, seeded from the fixtures. It is also the pipeline's directory (keys by
 * digest, plans, project status, cap counts). Usage meters live in the policy store.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { digestOf, type KeyRecord, type TenantDirectory } from '../http/index.js';
import type { Fixtures } from './fixtures.js';

export interface ProjectRecord {
  id: string;
  name: string;
  status: 'active' | 'archived';
  created_at: string;
  archived_at: string | null;
}

export interface KeyEntry extends KeyRecord {
  name: string;
  secret: string;
  prefix: string;
  createdAt: string;
  /** ms epoch of the last authenticated use (formatted only when a key is shown). */
  lastUsedMs: number | null;
}

export type Json = Record<string, any>;

export interface TenantRecord {
  id: string;
  name: string;
  plan: string;
  projects: Map<string, ProjectRecord>;
  keys: Map<string, KeyEntry>;
  traces: Map<string, Json>;
  feedback: Map<string, Json>;
  evals: Map<string, Json>;
  evalRules: Map<string, Json>;
  attestations: Map<string, Json>;
  audit: Json[];
}

const ID_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** A random id with a prefix, e.g. `prj_7Hq2Lm9Xa3`. */
export function newId(prefix: string, length = 10): string {
  const bytes = randomBytes(length);
  let s = `${prefix}_`;
  for (const b of bytes) s += ID_ALPHABET[b % ID_ALPHABET.length];
  return s;
}

/** Mutable mock state; `reset()` returns to the fixtures. */
export class MockState implements TenantDirectory {
  tenants = new Map<string, TenantRecord>();
  private keysByDigest = new Map<string, KeyEntry>();

  constructor(private fixtures: Fixtures, private readonly now: () => number) {
    this.reset();
  }

  /** Swap fixtures (hot reload) and reseed. */
  replaceFixtures(fixtures: Fixtures): void {
    this.fixtures = fixtures;
    this.reset();
  }

  reset(): void {
    this.tenants.clear();
    this.keysByDigest.clear();
    const at = new Date(this.now()).toISOString();
    for (const t of this.fixtures.tenants) {
      const tenant: TenantRecord = {
        id: t.id,
        name: t.name,
        plan: t.plan,
        projects: new Map(t.projects.map((p) => [p.id, { ...p, created_at: at, archived_at: p.status === 'archived' ? at : null }])),
        keys: new Map(),
        traces: new Map(),
        feedback: new Map(),
        evals: new Map(),
        evalRules: new Map(),
        attestations: new Map(),
        audit: [],
      };
      this.tenants.set(t.id, tenant);
      for (const k of t.keys) {
        this.addKey(tenant, { id: k.id, tenantId: t.id, scopes: k.scopes, projectId: k.project_id, revoked: k.revoked ?? false, name: k.name ?? k.id, secret: k.key, createdAt: at });
      }
    }
  }

  addKey(tenant: TenantRecord, k: Omit<KeyEntry, 'prefix' | 'lastUsedMs'>): KeyEntry {
    const entry: KeyEntry = { ...k, prefix: k.secret.slice(0, Math.min(16, k.secret.indexOf('_', 3) + 6)), lastUsedMs: null };
    tenant.keys.set(entry.id, entry);
    this.keysByDigest.set(digestOf(entry.secret), entry);
    return entry;
  }

  /** One tenant as JSON text (for sharing state between instances through Redis). */
  serialize(id: string): string {
    const t = this.tenant(id);
    const list = <T>(m: Map<string, T>) => [...m.values()];
    return JSON.stringify({
      id: t.id, name: t.name, plan: t.plan,
      projects: list(t.projects), keys: list(t.keys), traces: list(t.traces), feedback: list(t.feedback),
      evals: list(t.evals), evalRules: list(t.evalRules), attestations: list(t.attestations), audit: t.audit,
    });
  }

  /** Replaces one tenant with a serialized copy (another instance's), keys included. */
  restore(text: string): void {
    const raw = JSON.parse(text) as Record<string, any>;
    const byId = <T extends { id: string }>(items: T[]) => new Map(items.map((x) => [x.id, x]));
    const old = this.tenants.get(raw.id);
    if (old) for (const k of old.keys.values()) this.keysByDigest.delete(digestOf(k.secret));
    const tenant: TenantRecord = {
      id: raw.id, name: raw.name, plan: raw.plan,
      projects: byId(raw.projects), keys: new Map(), traces: byId(raw.traces), feedback: byId(raw.feedback),
      evals: byId(raw.evals), evalRules: byId(raw.evalRules), attestations: byId(raw.attestations), audit: raw.audit,
    };
    this.tenants.set(tenant.id, tenant);
    for (const k of raw.keys as KeyEntry[]) {
      tenant.keys.set(k.id, k);
      this.keysByDigest.set(digestOf(k.secret), k);
    }
  }

  tenant(id: string): TenantRecord {
    const t = this.tenants.get(id);
    if (!t) throw new Error(`unknown tenant ${id}`);
    return t;
  }

  audit(tenant: TenantRecord, action: string, actor: { type: string; id: string }, target: string): void {
    tenant.audit.push({ id: newId('aud'), action, actor, target, occurred_at: new Date(this.now()).toISOString() });
    if (tenant.audit.length > 1000) tenant.audit.shift();
  }

  // The pipeline's directory.
  keyByDigest(digest: string): KeyRecord | null {
    const key = this.keysByDigest.get(digest);
    if (key) key.lastUsedMs = this.now();
    return key ?? null;
  }

  hasTenant(tenantId: string): boolean {
    return this.tenants.has(tenantId);
  }

  planOf(tenantId: string): string {
    return this.tenant(tenantId).plan;
  }

  projectStatus(tenantId: string, projectId: string): 'active' | 'archived' | null {
    return this.tenants.get(tenantId)?.projects.get(projectId)?.status ?? null;
  }

  capUsed(tenantId: string, cap: string): number {
    const t = this.tenant(tenantId);
    if (cap === 'eval_rules') return t.evalRules.size;
    if (cap === 'projects') return t.projects.size;
    if (cap === 'api_keys') return [...t.keys.values()].filter((k) => !k.revoked).length;
    return 0;
  }
}
