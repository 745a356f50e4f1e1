/**
 * One way to open Redis for every store (policy counters, mock state): standalone from a URL, or
 * Redis Cluster from seed nodes (ioredis `Cluster`). Never hangs and never crashes the process:
 * no offline queue (commands fail at once while disconnected or while a failover is under way),
 * a bounded command timeout, and reconnection (and slot-map refresh) in the background.
 * @module
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** Where Redis is: a `redis://` URL, or Cluster seed nodes (`HOST:PORT`). */
export interface RedisConnection {
  url?: string;
  cluster?: readonly string[];
}

export interface RedisClientOptions {
  /** A command not answered in this time fails. Default 1000. */
  commandTimeoutMs?: number;
  /** Give up one connection attempt after this long. Default 1000. */
  connectTimeoutMs?: number;
  /** Upper bound of the reconnect backoff. Default 1000. */
  maxReconnectDelayMs?: number;
  /** Extra ioredis options (merged last; for a Cluster, into each node's options). */
  redis?: RedisOptions;
}

export type RedisClient = Redis | Cluster;

/** Parses `HOST:PORT[,HOST:PORT…]` (`--redis-cluster`, `REDIS_CLUSTER_NODES`); throws what is wrong. */
export function parseClusterNodes(text: string): string[] {
  const nodes = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (nodes.length === 0) throw new Error('Redis Cluster nodes: none given; expected HOST:PORT[,HOST:PORT…], e.g. 127.0.0.1:7000,127.0.0.1:7001');
  for (const node of nodes) {
    const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(node);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new Error(`Redis Cluster node \`${node}\` is not HOST:PORT (port 1–65535), e.g. 127.0.0.1:7000`);
  }
  return nodes;
}

function hostPort(node: string): { host: string; port: number } {
  const i = node.lastIndexOf(':');
  return { host: node.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(node.slice(i + 1)) };
}

/** Opens a client (connecting in the background); errors are swallowed here and surface per command. */
export function createRedisClient(connection: RedisConnection, options: RedisClientOptions = {}): RedisClient {
  const maxDelay = options.maxReconnectDelayMs ?? 1000;
  const retry = (times: number) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay);
  const nodeOptions: RedisOptions = {
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    connectTimeout: options.connectTimeoutMs ?? 1000,
    ...options.redis,
  };
  let client: RedisClient;
  if (connection.cluster && connection.cluster.length > 0) {
    client = new Cluster(connection.cluster.map(hostPort), {
      enableOfflineQueue: false,
      // Off on a Cluster: ioredis 6 batches one tick's commands per node, and refuses a batch whose
      // keys span several slots ("All keys in the pipeline should belong to the same slots allocation group").
      enableAutoPipelining: false,
      clusterRetryStrategy: retry,
      // Failover: a refused command is not retried (failMode decides); the slot map is refreshed
      // every second and on every MOVED, so a promoted replica is found by itself.
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      maxRedirections: 4,
      slotsRefreshInterval: 1000,
      slotsRefreshTimeout: options.connectTimeoutMs ?? 1000,
      redisOptions: nodeOptions,
    });
  } else {
    client = new Redis(connection.url ?? 'redis://127.0.0.1:6379', {
      ...nodeOptions,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      retryStrategy: retry,
    });
  }
  // Without a listener ioredis would re-emit connection errors as uncaught exceptions.
  client.on('error', () => {});
  return client;
}

/** Resolves true once the client is ready, false if not within `timeoutMs` (it keeps trying). */
export function redisReady(client: RedisClient, timeoutMs = 2000): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.on('ready', onReady);
  });
}

/** Deletes every key matching `pattern` (SCAN + UNLINK; on a Cluster, on every master). */
export async function deleteMatching(client: RedisClient, pattern: string): Promise<void> {
  const nodes: Redis[] = client instanceof Cluster ? client.nodes('master') : [client];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      // One UNLINK per key on a Cluster: keys of one scan batch may live in different slots.
      if (keys.length > 0) await (client instanceof Cluster ? Promise.all(keys.map((k) => node.unlink(k))) : node.unlink(...keys));
      cursor = next;
    } while (cursor !== '0');
  }
}
