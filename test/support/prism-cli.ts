/** Starts the Prism CLI (`prism mock`) on a bundle, on a free loopback port. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from '../../src/contract/index.js';

export interface PrismCli {
  url: string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startPrismCli(spec = join(repoRoot, 'generated', 'openapi.json')): Promise<PrismCli> {
  return startPrism('mock', [spec]);
}

/**
 * Starts `prism proxy` in front of `upstream`: it forwards every request and validates request and
 * response against the contract, reporting what breaks it in an `sl-violations` response header
 * (`--errors false`: the upstream's answer passes through unchanged).
 */
export async function startPrismProxy(upstream: string, spec = join(repoRoot, 'generated', 'openapi.json')): Promise<PrismCli> {
  return startPrism('proxy', [spec, upstream]);
}

async function startPrism(command: 'mock' | 'proxy', args: string[]): Promise<PrismCli> {
  const port = await freePort();
  const bin = join(repoRoot, 'node_modules', '@stoplight', 'prism-cli', 'dist', 'index.js');
  const child: ChildProcess = spawn(process.execPath, [bin, command, '--host', '127.0.0.1', '--port', String(port), '--errors', 'false', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`prism ${command} not ready in 30 s:\n${log}`)), 30_000);
    const onData = (c: Buffer) => {
      log += c.toString();
      if (/Prism is listening/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`prism ${command} exited ${code}:\n${log}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
