/** RedisStateStore on a real redis-server: the shared suite, each `open()` a connection of its own. */
import { afterAll, beforeAll, describe } from 'vitest';
import { findRedisServer, startRedisServer, type RedisServer } from '../../bench/lib/redis-server.js';
import { RedisStateStore } from '../../src/mock/store/index.js';
import { requireBinary } from '../support/requires.js';
import { stateStoreSuite } from './state-store-suite.js';

describe('RedisStateStore on redis-server', () => {
  if (!requireBinary(findRedisServer(), 'redis-server', 'apt-get install -y redis-server')) return;
  let server: RedisServer;
  const opened: RedisStateStore[] = [];
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.dispose();
  });
  stateStoreSuite('RedisStateStore', async () => ({
    open: async () => {
      const store = new RedisStateStore({ url: server.url });
      opened.push(store);
      await store.ready();
      return store;
    },
    close: async () => void (await Promise.all(opened.map((s) => s.close()))),
  }));
});
