import { describe } from 'vitest';
import { findRedisServer } from '../../bench/lib/redis-server.js';
import { findRedisCli, startRedisCluster } from '../../bench/lib/redis-cluster.js';
import { requireBinary } from '../support/requires.js';
import { scaleOutSuite } from './scale-out-suite.js';

describe('scale-out on a three-master Redis Cluster', () => {
  if (!requireBinary(findRedisServer(), 'redis-server', 'apt-get install -y redis-server')) return;
  if (!requireBinary(findRedisCli(), 'redis-cli', 'apt-get install -y redis-server')) return;
  scaleOutSuite('a three-master Redis Cluster', async () => {
    const cluster = await startRedisCluster({ masters: 3 });
    return { options: { redisCluster: cluster.seeds }, dispose: () => cluster.dispose() };
  });
});
