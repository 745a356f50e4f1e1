/** Shared helpers for the docs suites: temp builds, a loopback server over serveDocs, raw requests. */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { repoRoot } from '../../src/contract/index.js';
import { serveDocs } from '../../src/docs/index.js';

/** A fresh temp directory; remove it with `rm(dir, {recursive: true})`. */
export function tempDir(prefix = 'traceloom-docs-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeAll(...dirs: (string | undefined)[]): Promise<void> {
  await Promise.all(dirs.filter(Boolean).map((d) => rm(d!, { recursive: true, force: true })));
}

/** A copy of openapi/ in a temp dir with `edit` applied to its traceloom.yaml; returns the copy's root file. */
export async function editedContract(edit: (data: any) => void): Promise<{ dir: string; root: string }> {
  const dir = await tempDir('traceloom-contract-');
  await cp(join(repoRoot, 'openapi'), dir, { recursive: true });
  const file = join(dir, 'traceloom.yaml');
  const data = parse(await readFile(file, 'utf8'));
  edit(data);
  await writeFile(file, stringify(data));
  return { dir, root: join(dir, 'openapi.yaml') };
}

export interface DocsServer {
  origin: string;
  /** The directory served; tests may switch it between builds. */
  dir: string;
  close(): Promise<void>;
}

/** serveDocs on 127.0.0.1:0 (under `basePath`, default /docs); paths it does not own answer 418 so tests can tell. */
export async function startDocsServer(dir: string, basePath?: string): Promise<DocsServer> {
  const state = { dir };
  const server: Server = createServer((req, res) => {
    if (!serveDocs(req, res, { dir: state.dir, basePath })) {
      res.statusCode = 418;
      res.end('not a docs path');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    get dir() {
      return state.dir;
    },
    set dir(d: string) {
      state.dir = d;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request whose path is sent exactly as given (fetch would normalise `..` away). */
export function rawRequest(origin: string, path: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
