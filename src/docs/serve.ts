/**
 * Serves the built docs on node:http (the mock mounts this): `/docs/` and the files under it,
 * Redoc's history routes (extensionless paths → index.html, e.g. `/docs/errors` for problem
 * `type` URIs), and `/llms.txt`, `/llms-full.txt` at the root (llmstxt.org).
 *
 * Never serves a file outside `dir`: the raw path is decoded once, segment by segment; NUL bytes
 * and bad escapes are 400, `.`/`..` segments, encoded slashes and hidden files are 404, and the
 * real path of the file (symlinks resolved) must still be inside the real `dir`.
 * @module
 */
import { createReadStream, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { readModel, type ContractModel } from '../contract/index.js';
import { requestIdOf } from '../http/index.js';

export interface ServeOptions {
  /** The built docs directory (generated/docs by default). */
  dir: string;
  /** URL prefix of the docs (default `/docs`); `/llms.txt` and `/llms-full.txt` stay at the root. */
  basePath?: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.yaml': 'application/yaml; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

const ROOT_FILES = new Set(['/llms.txt', '/llms-full.txt']);

/**
 * The page may load only from its own origin (and data:/blob: URLs it makes itself): the docs
 * work offline, and nothing a reader does there is reported elsewhere.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' blob:",
  "worker-src 'self' blob:",
  "frame-ancestors 'self'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/** Handles the request if its path belongs to the docs; returns false (and does nothing) otherwise. */
export function serveDocs(req: IncomingMessage, res: ServerResponse, options: ServeOptions): boolean {
  const base = (options.basePath ?? '/docs').replace(/\/+$/, '');
  const rawPath = (req.url ?? '/').split('?')[0]!.split('#')[0]!;
  const owned = ROOT_FILES.has(rawPath) || rawPath === base || rawPath.startsWith(`${base}/`);
  if (!owned) return false;
  // Like every answer of the API, docs answers carry a request id (echoed when valid).
  res.setHeader('X-Request-Id', requestIdOf(req.headers['x-request-id']));

  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    sendProblem(res, options.dir, 405, null, `The docs are read-only: use GET or HEAD, not ${req.method}.`, rawPath);
    return true;
  }
  const target = resolveTarget(options.dir, base, rawPath);
  if ('status' in target) {
    sendProblem(res, options.dir, target.status, target.status === 400 ? 'invalid_request' : 'not_found', target.detail, rawPath);
    return true;
  }
  sendFile(req, res, target.file, target.stats, options.dir, rawPath);
  return true;
}

type Target = { file: string; stats: Stats } | { status: 400 | 404; detail: string };

function resolveTarget(dir: string, base: string, rawPath: string): Target {
  if (rawPath.includes('\0') || /%00/i.test(rawPath)) return { status: 400, detail: 'The path contains a NUL byte.' };
  const rel = ROOT_FILES.has(rawPath) ? rawPath.slice(1) : rawPath.slice(base.length + 1);
  const segments: string[] = [];
  for (const raw of rel.split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return { status: 400, detail: 'The path has an invalid percent-encoding.' };
    }
    if (segment.includes('\0')) return { status: 400, detail: 'The path contains a NUL byte.' };
    // `..`, `.`, encoded separators and dot-files never name a docs file.
    if (segment.startsWith('.') || segment.includes('/') || segment.includes('\\')) return { status: 404, detail: notFound(rawPath) };
    segments.push(segment);
  }
  let root: string;
  try {
    root = realpathSync(dir);
  } catch {
    return { status: 404, detail: 'The docs are not built yet: run `npm run docs`.' };
  }
  const candidate = join(root, ...segments);
  const file = existingFile(root, candidate);
  if (file) return file;
  // Redoc's routes (tags, operations, guide sections, `errors` for problem types) are pages of the single-page reference.
  const last = segments[segments.length - 1] ?? '';
  if (!ROOT_FILES.has(rawPath) && !(extname(last) in CONTENT_TYPES)) {
    const index = existingFile(root, join(root, 'index.html'));
    if (index) return index;
    return { status: 404, detail: 'The docs are not built yet: run `npm run docs`.' };
  }
  return { status: 404, detail: notFound(rawPath) };
}

function notFound(rawPath: string): string {
  return `No docs file at ${rawPath}. The reference is at /docs/, the index for AI tools at /llms.txt.`;
}

/** The file at `path` if it is a regular file whose real path is inside `root`. */
function existingFile(root: string, path: string): { file: string; stats: Stats } | null {
  try {
    const real = realpathSync(path);
    if (real !== root && !real.startsWith(root + sep)) return null;
    const stats = statSync(real);
    return stats.isFile() ? { file: real, stats } : null;
  } catch {
    return null;
  }
}

function sendFile(req: IncomingMessage, res: ServerResponse, file: string, stats: Stats, dir: string, rawPath: string): void {
  const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
  const etag = `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('ETag', etag);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (type.startsWith('text/html')) res.setHeader('Content-Security-Policy', CSP);
  if (req.headers['if-none-match'] === etag) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.statusCode = 200;
  res.setHeader('Content-Length', stats.size);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => {
    if (!res.headersSent) sendProblem(res, dir, 500, 'internal_error', 'The docs file could not be read.', rawPath);
    else res.destroy();
  });
  stream.pipe(res);
}

/**
 * An RFC 9457 problem. The code's `type`, `title` and `retryable` come from the error registry of
 * the built `openapi.json` when it has the code; otherwise `type` is `about:blank` (RFC 9457 §4.2.1).
 */
function sendProblem(res: ServerResponse, dir: string, status: number, code: string | null, detail: string, instance: string): void {
  const model = registryOf(dir);
  const def = code ? model?.errors[code] : undefined;
  const body =
    def && def.status === status
      ? {
          type: `${model!.docsBaseUrl.replace(/\/+$/, '')}/errors#${def.code}`,
          title: def.title,
          status,
          detail,
          instance,
          code: def.code,
          request_id: String(res.getHeader('X-Request-Id') ?? requestIdOf(undefined)),
          retryable: def.retryable,
        }
      : { type: 'about:blank', title: STATUS_TITLES[status] ?? 'Error', status, detail, instance };
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/problem+json');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.setHeader('Cache-Control', 'no-store');
  res.end(text);
}

const STATUS_TITLES: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error' };

const registries = new Map<string, { mtimeMs: number; model: ContractModel | null }>();

/** The contract model of the built docs (cached per directory until openapi.json changes). */
function registryOf(dir: string): ContractModel | null {
  const file = join(dir, 'openapi.json');
  let mtimeMs: number;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    return null;
  }
  const cached = registries.get(dir);
  if (cached && cached.mtimeMs === mtimeMs) return cached.model;
  let model: ContractModel | null = null;
  try {
    model = readModel(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    model = null;
  }
  registries.set(dir, { mtimeMs, model });
  return model;
}
