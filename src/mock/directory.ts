/**
 * The pipeline's tenant directory over the {@link StateStore}: keys by digest, plans, project
 * status and cap counts, read from the store on every request (nothing cached that another
 * instance can change). Keys and plans read from a store that has a `version` (memory: one
 * process, no other writer) are kept until that version moves, and answered without waiting.
 * Tenants come from the fixtures; one whose state is missing (never seeded on this store, or
 * expired) is seeded on first use. While the store is unreachable, fixture keys
 * and plans are answered from the fixtures so the policy stage can apply `failMode`.
 * @module
 */
import { digestOf, type KeyRecord } from '../http/auth.js';
import type { TenantDirectory } from '../http/pipeline.js';
import type { Later } from '../portable/index.js';
import type { Fixtures } from './fixtures.js';
import type { MockClock } from './clock.js';
import type { CapName, KeyDoc, StateStore, TenantSeed } from './store/index.js';

/** A key's last use is written at most this often per key and instance. */
const TOUCH_INTERVAL_MS = 1000;
/** Keys (found or not) and plans kept per store version, at most this many of each. */
const KEPT_MAX = 10_000;

/** What was read at one version of the store (see StateStore.version). */
interface Kept {
  version: number;
  /** By digest: the key (frozen: shared by every request that authenticates with it), or null when none has it. */
  keys: Map<string, KeyDoc | null>;
  plans: Map<string, string>;
}

/** The directory and the seeds of one set of fixtures. */
export class StateDirectory implements TenantDirectory {
  private readonly seeds = new Map<string, TenantSeed>();
  /** Fixture keys by digest, with their owner (read on every request they authenticate). */
  private readonly fixtureKeys = new Map<string, { key: KeyDoc; owner: { tenantId: string; keyId: string } }>();
  private readonly owners = new Map<string, { tenantId: string; keyId: string }>();
  private readonly touched = new Map<string, number>();
  private kept: Kept = { version: -1, keys: new Map(), plans: new Map() };

  constructor(
    private readonly store: StateStore,
    fixtures: Fixtures,
    private readonly clock: MockClock,
  ) {
    const at = new Date(0).toISOString();
    for (const t of fixtures.tenants) {
      const keys = t.keys.map((k) =>
        keyDoc({
          id: k.id,
          tenantId: t.id,
          scopes: k.scopes,
          projectId: k.project_id,
          revoked: k.revoked ?? false,
          name: k.name ?? k.id,
          secret: k.key,
          createdAt: at,
        }),
      );
      const projects = t.projects.map((p) => ({ ...p, created_at: at, archived_at: p.status === 'archived' ? at : null }));
      this.seeds.set(t.id, { id: t.id, plan: t.plan, projects, keys });
      for (const k of keys) this.fixtureKeys.set(k.digest, { key: k, owner: { tenantId: t.id, keyId: k.id } });
    }
  }

  /** The fixture tenants' ids. */
  tenantIds(): string[] {
    return [...this.seeds.keys()];
  }

  /** Seeds every tenant that has no state yet (start-up), or all of them afresh (`force`: reset). */
  async seedAll(force: boolean): Promise<void> {
    const stamp = new Date(this.clock.now()).toISOString();
    await Promise.all([...this.seeds.values()].map((s) => this.store.seed(stamped(s, stamp), force)));
  }

  private async ensureSeeded(tenantId: string): Promise<boolean> {
    const seed = this.seeds.get(tenantId);
    if (!seed) return false;
    await this.store.seed(stamped(seed, new Date(this.clock.now()).toISOString()), false);
    return true;
  }

  /** What was read at the store's current version; null for a store without one (shared). */
  private keptNow(): Kept | null {
    const version = this.store.version;
    if (version === undefined) return null;
    if (this.kept.version !== version) this.kept = { version, keys: new Map(), plans: new Map() };
    return this.kept;
  }

  keyByDigest(digest: string): Later<KeyRecord | null> {
    const kept = this.keptNow();
    const hit = kept?.keys.get(digest);
    if (hit === undefined) return this.readKey(digest, kept);
    if (hit) this.touch(hit);
    return hit;
  }

  private async readKey(digest: string, kept: Kept | null): Promise<KeyRecord | null> {
    const known = this.fixtureKeys.get(digest);
    const fixture = known?.key;
    let owner = known?.owner ?? this.owners.get(digest);
    let key: KeyDoc | null;
    try {
      if (!owner) {
        owner = (await this.store.keyOwner(digest)) ?? undefined;
        if (!owner) return null;
        if (this.owners.size > 10_000) this.owners.clear();
        this.owners.set(digest, owner);
      }
      key = await this.store.get(owner.tenantId, 'keys', owner.keyId);
      // A fixture key is never deleted through the API: missing, its tenant has no state (a new or emptied store).
      if (!key && fixture && (await this.ensureSeeded(owner.tenantId))) key = await this.store.get(owner.tenantId, 'keys', owner.keyId);
    } catch (err) {
      if (fixture) return fixture; // store down: the fixture's own record
      throw err;
    }
    if (kept && kept === this.kept && kept.keys.size < KEPT_MAX)
      kept.keys.set(digest, key && Object.freeze({ ...key, scopes: Object.freeze([...key.scopes]) as string[] }));
    if (!key) return null;
    this.touch(key);
    return key;
  }

  private touch(key: KeyDoc): void {
    const now = this.clock.now();
    const last = this.touched.get(key.id);
    if (last !== undefined && Math.abs(now - last) < TOUCH_INTERVAL_MS) return;
    if (this.touched.size > 10_000) this.touched.clear();
    this.touched.set(key.id, now);
    this.store.touchKey(key.tenantId, key.id, now).catch(() => undefined);
  }

  hasTenant(tenantId: string): boolean {
    return this.seeds.has(tenantId);
  }

  planOf(tenantId: string): Later<string> {
    const kept = this.keptNow();
    return kept?.plans.get(tenantId) ?? this.readPlan(tenantId, kept);
  }

  private async readPlan(tenantId: string, kept: Kept | null): Promise<string> {
    try {
      let plan = await this.store.plan(tenantId);
      if (plan === null && (await this.ensureSeeded(tenantId))) plan = await this.store.plan(tenantId);
      if (plan !== null && kept && kept === this.kept && kept.plans.size < KEPT_MAX) kept.plans.set(tenantId, plan);
      return plan ?? this.seeds.get(tenantId)?.plan ?? 'free';
    } catch {
      return this.seeds.get(tenantId)?.plan ?? 'free'; // store down: the policy stage applies failMode
    }
  }

  async projectStatus(tenantId: string, projectId: string): Promise<'active' | 'archived' | null> {
    try {
      return (await this.store.get(tenantId, 'projects', projectId))?.status ?? null;
    } catch {
      return this.seeds.get(tenantId)?.projects.find((p) => p.id === projectId)?.status ?? null;
    }
  }

  async capUsed(tenantId: string, cap: string): Promise<number> {
    try {
      return (await this.store.capCounts(tenantId))[cap as CapName] ?? 0;
    } catch {
      return 0; // store down: the create itself fails (503) or the cap is checked again atomically
    }
  }
}

/** A key document from what is known at creation; the prefix is what the API shows of the secret. */
export function keyDoc(k: Omit<KeyDoc, 'prefix' | 'digest'>): KeyDoc {
  return { ...k, prefix: k.secret.slice(0, Math.min(16, k.secret.indexOf('_', 3) + 6)), digest: digestOf(k.secret) };
}

function stamped(seed: TenantSeed, at: string): TenantSeed {
  return {
    ...seed,
    projects: seed.projects.map((p) => ({ ...p, created_at: at, archived_at: p.status === 'archived' ? at : null })),
    keys: seed.keys.map((k) => ({ ...k, createdAt: at })),
  };
}
