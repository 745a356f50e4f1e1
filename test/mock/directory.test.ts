/**
 * The mock's tenant directory (src/mock/directory.ts) keeps what it read from a store that has a
 * version (memory: one process) until the store's version moves, and reads a shared store on
 * every request. Whatever it keeps, a change made through the store is seen by the next request.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadContract } from '../../src/contract/index.js';
import { digestOf } from '../../src/http/auth.js';
import { MockClock } from '../../src/mock/clock.js';
import { StateDirectory, keyDoc } from '../../src/mock/directory.js';
import { loadFixtures } from '../../src/mock/fixture-files.js';
import type { Fixtures } from '../../src/mock/fixtures.js';
import { MemoryStateStore, type Collection, type StateStore } from '../../src/mock/store/index.js';

let fixtures: Fixtures;
beforeAll(async () => {
  fixtures = await loadFixtures((await loadContract()).model);
});

async function directoryOn(store: StateStore) {
  const directory = new StateDirectory(store, fixtures, new MockClock(store, false));
  await directory.seedAll(false);
  const tenant = fixtures.tenants.find((t) => t.keys.length > 0 && !t.keys[0]!.revoked)!;
  return { directory, tenant, key: tenant.keys[0]!, digest: digestOf(tenant.keys[0]!.key) };
}

/** The memory store without its version, as a shared store is seen: counts its key reads. */
function unversioned(store: MemoryStateStore): StateStore & { gets: number } {
  const counted = Object.create(store) as MemoryStateStore & { gets: number };
  Object.defineProperty(counted, 'version', { value: undefined });
  counted.gets = 0;
  counted.get = ((tenantId: string, collection: Collection, id: string) => {
    counted.gets++;
    return store.get(tenantId, collection, id);
  }) as StateStore['get'];
  return counted;
}

describe('StateDirectory', () => {
  it('answers a key and a plan it has read, without waiting, while the store has not moved', async () => {
    const { directory, tenant, key, digest } = await directoryOn(new MemoryStateStore());
    expect((await directory.keyByDigest(digest))?.id).toBe(key.id);
    expect(await directory.planOf(tenant.id)).toBe(tenant.plan);
    const again = directory.keyByDigest(digest);
    expect(again).not.toBeInstanceOf(Promise);
    expect((again as { id: string }).id).toBe(key.id);
    expect(directory.planOf(tenant.id)).toBe(tenant.plan);
  });

  it('sees a key revoked, a plan changed and a key created on the next read', async () => {
    const store = new MemoryStateStore();
    const { directory, tenant, key, digest } = await directoryOn(store);
    await directory.keyByDigest(digest);
    await directory.planOf(tenant.id);
    await store.update(tenant.id, 'keys', key.id, (k) => ({ ...k, revoked: true }));
    expect((await directory.keyByDigest(digest))?.revoked).toBe(true);
    await store.setPlan(tenant.id, 'team');
    expect(await directory.planOf(tenant.id)).toBe('team');

    const secret = 'tl_test_created_000000000000000000000001';
    expect(await directory.keyByDigest(digestOf(secret))).toBeNull();
    const created = keyDoc({
      id: 'key_new',
      tenantId: tenant.id,
      scopes: ['read'],
      projectId: null,
      revoked: false,
      name: 'new',
      secret,
      createdAt: new Date(0).toISOString(),
    });
    await store.insert(tenant.id, 'keys', created.id, created);
    expect((await directory.keyByDigest(digestOf(secret)))?.id).toBe('key_new');
  });

  it('hands out a kept key that cannot be changed by whoever holds it', async () => {
    const { directory, digest } = await directoryOn(new MemoryStateStore());
    await directory.keyByDigest(digest);
    const kept = (await directory.keyByDigest(digest))!;
    expect(Object.isFrozen(kept) && Object.isFrozen(kept.scopes)).toBe(true);
  });

  it('reads a store without a version (shared) on every request', async () => {
    const store = unversioned(new MemoryStateStore());
    const { directory, digest } = await directoryOn(store);
    for (let i = 0; i < 3; i++) await directory.keyByDigest(digest);
    expect(store.gets).toBe(3);
  });
});
