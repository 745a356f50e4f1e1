import { findRedisServer, startRedisServer } from '../../bench/lib/redis-server.js';
import { requireBinary } from '../support/requires.js';
import { scaleOutSuite } from './scale-out-suite.js';
import { describe } from 'vitest';

describe('scale-out on one redis-server', () => {
  if (!requireBinary(findRedisServer(), 'redis-server', 'apt-get install -y redis-server')) return;
  scaleOutSuite('one redis-server', async () => {
    const redis = await startRedisServer();
    return { options: { redisUrl: redis.url }, dispose: () => redis.dispose() };
  });
});
