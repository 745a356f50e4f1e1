/**
 * A throwaway `redis-server` on a free loopback port (no persistence, temp dir), for the policy
 * tests and benchmarks. Can be stopped and started again on the same port (outage drills).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Path of `redis-server`: `$TRACELOOM_REDIS_SERVER` when set (null if no such file), else from PATH, or null. */
export function findRedisServer(): string | null {
  const explicit = process.env['TRACELOOM_REDIS_SERVER'];
  if (explicit !== undefined) return existsSync(explicit) ? explicit : null;
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path ? path : null;
}

/** A free TCP port on 127.0.0.1 (asks the kernel, then releases it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  port: number;
  url: string;
  /** Start it (again) on the same port; resolves when it accepts connections. */
  start(): Promise<void>;
  /** Kill it (SIGKILL: an abrupt outage) and wait for the process to exit. */
  stop(): Promise<void>;
  /** Freeze it (SIGSTOP): connections stay open, nothing answers. */
  pause(): void;
  /** Thaw it (SIGCONT). */
  resume(): void;
  /** Stop it and remove its temp dir. */
  dispose(): Promise<void>;
}

export interface RedisServerOptions {
  /** Keep data across stop()/start() (AOF, fsync on every write), as a production Redis would. Default false. */
  persist?: boolean;
}

/** Starts a redis-server; throws if the binary is missing or it does not come up in 10 s. */
export async function startRedisServer(binary = findRedisServer(), options: RedisServerOptions = {}): Promise<RedisServer> {
  if (!binary) throw new Error('redis-server not found on PATH; install it (Debian: apt-get install -y redis-server)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'traceloom-redis-'));
  let child: ChildProcess | null = null;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const aof = options.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...aof, '--dir', dir, '--loglevel', 'notice'];
      const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      let log = '';
      const timer = setTimeout(() => fail(new Error(`redis-server on port ${port} not ready in 10 s:\n${log}`)), 10_000);
      const fail = (err: Error) => {
        clearTimeout(timer);
        proc.kill('SIGKILL');
        reject(err);
      };
      proc.stdout!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
      proc.on('exit', (code) => {
        if (child === proc) child = null;
        fail(new Error(`redis-server exited (${code}) before it was ready:\n${log}`));
      });
    });

  const stop = () =>
    new Promise<void>((resolve) => {
      const proc = child;
      if (!proc || proc.exitCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });

  // a crashed test or bench must not leave an orphaned server behind
  const killOnExit = () => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    async dispose() {
      process.off('exit', killOnExit);
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
