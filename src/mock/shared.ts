/**
 * State shared by several mock instances on one Redis (`--redis`): counters and usage already
 * live in the policy store; this replicates tenant state (projects, keys, traces, rules, …).
 * After a mutation an instance writes the tenant's state to a hash and publishes it; the others
 * replace their copy when the message arrives (milliseconds). A new instance loads the hash at
 * start. Concurrent writes to the same tenant from two instances: the last one wins, per tenant.
 * @module
 */
import { Redis } from 'ioredis';
import type { MockState } from './state.js';

const HASH = 'tl:mock:state';
const CHANNEL = 'tl:mock:state:changed';

export interface SharedState {
  /** Publish a tenant after this instance changed it. */
  publish(tenantId: string): Promise<void>;
  /** Publish every tenant (after a reset) and tell the others to reload. */
  publishAll(): Promise<void>;
  close(): Promise<void>;
}

/** Connects, loads what other instances shared, and starts following their changes. */
export async function shareState(url: string, state: MockState, onError: (err: Error) => void): Promise<SharedState> {
  const options = { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 };
  const pub = new Redis(url, options);
  const sub = new Redis(url, options);
  pub.on('error', onError);
  sub.on('error', onError);
  const origin = `${process.pid}:${Math.random().toString(36).slice(2)}`;
  await Promise.all([pub.connect(), sub.connect()]);
  const existing = await pub.hgetall(HASH);
  for (const text of Object.values(existing)) state.restore(text);
  await sub.subscribe(CHANNEL);
  sub.on('message', (_channel: string, message: string) => {
    const { from, tenant, all } = JSON.parse(message) as { from: string; tenant?: string; all?: boolean };
    if (from === origin) return;
    void (async () => {
      if (all) for (const text of Object.values(await pub.hgetall(HASH))) state.restore(text);
      else if (tenant) {
        const text = await pub.hget(HASH, tenant);
        if (text) state.restore(text);
      }
    })().catch(onError);
  });
  return {
    async publish(tenantId) {
      await pub.hset(HASH, tenantId, state.serialize(tenantId));
      await pub.publish(CHANNEL, JSON.stringify({ from: origin, tenant: tenantId }));
    },
    async publishAll() {
      const all: Record<string, string> = {};
      for (const id of state.tenants.keys()) all[id] = state.serialize(id);
      await pub.multi().del(HASH).hset(HASH, all).exec();
      await pub.publish(CHANNEL, JSON.stringify({ from: origin, all: true }));
    },
    async close() {
      sub.disconnect();
      pub.disconnect();
    },
  };
}
