/**
 * Helpers for the consumer test: run a command with a bounded wait, pack the repository as a fresh
 * clone would, and start a long-running CLI whose banner announces it is ready.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment for a child npm/node: ours without the `npm_*` variables an outer `npm test`
 * sets (they would point the inner npm at this repository's config and package).
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD') env[k] = v;
  return { ...env, NO_UPDATE_NOTIFIER: '1', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra };
}

/** Runs a command to its end; rejects (with its output) when it takes longer than `timeoutMs`. */
export function run(command: string, args: string[], options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`\`${command} ${args.join(' ')}\` did not finish within ${options.timeoutMs / 1000} s\n${stdout}\n${stderr}`));
    }, options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Like {@link run}, but a non-zero exit is an error that shows the output. */
export async function runOk(command: string, args: string[], options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  const r = await run(command, args, options);
  if (r.code !== 0) throw new Error(`\`${command} ${args.join(' ')}\` exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Ends a process we started and everything it started (it runs in a group of its own). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/**
 * A fresh clone without git: the files `git ls-files` lists (tracked, and new files not ignored),
 * copied into `dir`, with the repository's node_modules linked in. No dist/, no generated/docs/:
 * `npm pack` there must build them itself.
 */
export async function freshClone(repo: string, dir: string): Promise<void> {
  const { stdout } = await runOk('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo, timeoutMs: 60_000, env: process.env });
  for (const rel of stdout.split('\0')) {
    if (!rel) continue;
    const from = join(repo, rel);
    let mode: number;
    try {
      const st = statSync(from);
      if (!st.isFile()) continue;
      mode = st.mode;
    } catch {
      continue; // listed but deleted in the working tree
    }
    const to = join(dir, rel);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
    chmodSync(to, mode);
  }
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
}

/** The one `.tgz` in `dir`. */
export function tarballIn(dir: string): string {
  const found = readdirSync(dir).filter((f) => f.endsWith('.tgz'));
  if (found.length !== 1) throw new Error(`expected one .tgz in ${dir}, found ${found.length}: ${found.join(', ')}`);
  return join(dir, found[0]!);
}

export interface Started {
  child: ChildProcess;
  /** The first match of `ready` in stdout. */
  match: RegExpExecArray;
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts a long-running command and resolves once its stdout matches `ready` (e.g. the mock's
 * banner). Fails with the output when it exits first or `timeoutMs` passes.
 */
export function startUntil(
  command: string,
  args: string[],
  options: { cwd: string; ready: RegExp; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let done = false;
    const output = () => out;
    const exited = new Promise<void>((r) => child.once('close', () => r()));
    const stop = async () => {
      killGroup(child);
      const t = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    };
    const fail = (why: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      killGroup(child);
      reject(new Error(`\`${command} ${args.join(' ')}\` ${why}\n${out}`));
    };
    const timer = setTimeout(() => fail(`printed no ${options.ready} within ${options.timeoutMs / 1000} s`), options.timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const match = options.ready.exec(out);
      if (match && !done) {
        done = true;
        clearTimeout(timer);
        resolve({ child, match, output, stop });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', (err) => fail(`could not start: ${err.message}`));
    child.once('close', (code) => fail(`exited (${code}) before it was ready`));
  });
}
