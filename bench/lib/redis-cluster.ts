/**
 * A throwaway Redis Cluster on loopback: N masters (and R replicas each) as `redis-server
 * --cluster-enabled yes` processes in a temp dir, joined with `redis-cli --cluster create`,
 * ready once every node reports `cluster_state:ok`. For the scale-out tests and the failover drill.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findRedisServer, freePort } from './redis-server.js';

const run = promisify(execFile);

/** Path of `redis-cli` (next to redis-server, else from PATH), or null. */
export function findRedisCli(): string | null {
  const server = findRedisServer();
  const sibling = server ? join(server, '..', 'redis-cli') : null;
  const found = spawnSync('sh', ['-c', sibling ? `test -x ${sibling} && echo ${sibling} || command -v redis-cli` : 'command -v redis-cli'], {
    encoding: 'utf8',
  });
  return found.stdout.trim() || null;
}

export interface ClusterNode {
  port: number;
  /** `127.0.0.1:PORT`. */
  address: string;
  /** Kill it (SIGKILL) and wait for the process to exit. */
  kill(): Promise<void>;
}

export interface RedisCluster {
  /** Every node, masters first as created. */
  nodes: ClusterNode[];
  /** Seed addresses for a client (`HOST:PORT`). */
  seeds: string[];
  /** `redis-cli -p PORT ARGS…` on a live node; resolves stdout. */
  cli(port: number, ...args: string[]): Promise<string>;
  /** The node that is master of the slot of `key` now. */
  masterOf(key: string): Promise<ClusterNode>;
  /** Waits until every live node reports cluster_state:ok and `key`'s slot has a live master; throws after `timeoutMs`. */
  untilOk(timeoutMs: number, key?: string): Promise<void>;
  dispose(): Promise<void>;
}

function startNode(binary: string, port: number, dir: string): Promise<ChildProcess> {
  mkdirSync(dir, { recursive: true });
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    join(dir, 'nodes.conf'),
    '--cluster-node-timeout',
    '1000',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--loglevel',
    'notice',
  ];
  return new Promise((resolve, reject) => {
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`redis-server (cluster node) on port ${port} not ready in 10 s:\n${log}`));
    }, 10_000);
    proc.stdout!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(proc);
      }
    });
    proc.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server (cluster node) on port ${port} exited (${code}) before it was ready:\n${log}`));
    });
  });
}

/**
 * Waits until every replica has completed its first sync with its master (`master_link_status:up`,
 * offset > 0) and every node knows every other one: before that, a replica cannot be promoted when
 * its master fails, and the cluster stays down (CLUSTERDOWN) instead of failing over.
 */
async function replicasInSync(
  nodes: ClusterNode[],
  cli: (port: number, ...args: string[]) => Promise<string>,
  expected: number,
  timeoutMs: number,
): Promise<void> {
  const t0 = Date.now();
  let last = '';
  while (Date.now() - t0 < timeoutMs) {
    const infos = await Promise.all(nodes.map((n) => cli(n.port, 'info', 'replication').catch(() => '')));
    const synced = infos.filter((i) => i.includes('role:slave') && i.includes('master_link_status:up') && !/slave_repl_offset:0\b/.test(i)).length;
    const views = await Promise.all(nodes.map((n) => cli(n.port, 'cluster', 'nodes').catch(() => '')));
    const known = views.every((v) => v.trim().split('\n').length === nodes.length && !/handshake|noaddr|fail/.test(v));
    last = `${synced}/${expected} replicas in sync, all nodes known: ${known}`;
    if (synced === expected && known) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Redis Cluster replicas not ready within ${timeoutMs} ms: ${last}`);
}

/** Starts `masters` masters with `replicas` replicas each; throws if a binary is missing or the cluster is not ok in 30 s. */
export async function startRedisCluster(options: { masters?: number; replicas?: number } = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicas ?? 0;
  const binary = findRedisServer();
  const cliPath = findRedisCli();
  if (!binary || !cliPath) throw new Error('redis-server and redis-cli are needed for a cluster; install them (Debian: apt-get install -y redis-server)');
  const dir = mkdtempSync(join(tmpdir(), 'traceloom-cluster-'));
  const ports: number[] = [];
  while (ports.length < masters * (1 + replicas)) {
    const p = await freePort();
    if (!ports.includes(p) && p < 55535) ports.push(p); // the cluster bus listens on port + 10000
  }
  const procs = new Map<number, ChildProcess>();
  const killAll = () => {
    for (const p of procs.values()) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killAll);
  try {
    for (const [port, proc] of await Promise.all(ports.map(async (port) => [port, await startNode(binary, port, join(dir, String(port)))] as const)))
      procs.set(port, proc);
  } catch (err) {
    killAll();
    throw err;
  }
  const cli = async (port: number, ...args: string[]) => (await run(cliPath, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 })).stdout;
  await run(cliPath, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'], {
    timeout: 30_000,
  });

  const nodes: ClusterNode[] = ports.map((port) => ({
    port,
    address: `127.0.0.1:${port}`,
    kill: () =>
      new Promise<void>((resolve) => {
        const proc = procs.get(port);
        if (!proc || proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGKILL');
      }),
  }));
  const live = () => nodes.filter((n) => procs.get(n.port)?.exitCode === null && procs.get(n.port)?.signalCode === null);
  const masterOf = async (key: string): Promise<ClusterNode> => {
    const probe = live()[0]!;
    const slot = Number((await cli(probe.port, 'cluster', 'keyslot', key)).trim());
    for (const line of (await cli(probe.port, 'cluster', 'nodes')).trim().split('\n')) {
      const f = line.split(' ');
      if (!f[2]!.includes('master') || f[2]!.includes('fail')) continue;
      for (const range of f.slice(8)) {
        const [a, b] = range.split('-').map(Number);
        if (slot >= a! && slot <= (b ?? a!)) return nodes.find((n) => f[1]!.startsWith(n.address))!;
      }
    }
    throw new Error(`no live master serves slot ${slot} (${key})`);
  };
  const cluster: RedisCluster = {
    nodes,
    seeds: nodes.map((n) => n.address),
    cli,
    masterOf,
    async untilOk(timeoutMs, key) {
      const t0 = Date.now();
      let last = '';
      while (Date.now() - t0 < timeoutMs) {
        try {
          const infos = await Promise.all(live().map((n) => cli(n.port, 'cluster', 'info')));
          last = infos.map((i) => /cluster_state:\w+/.exec(i)?.[0]).join(' ');
          if (infos.every((i) => i.includes('cluster_state:ok'))) {
            const master = key ? await masterOf(key) : null;
            if (!master || live().includes(master)) return;
          }
        } catch (err) {
          last = (err as Error).message;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`Redis Cluster not ok within ${timeoutMs} ms: ${last}`);
    },
    async dispose() {
      process.off('exit', killAll);
      await Promise.all(nodes.map((n) => n.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await cluster.untilOk(30_000);
  if (replicas > 0) await replicasInSync(nodes, cli, masters * replicas, 30_000);
  return cluster;
}
