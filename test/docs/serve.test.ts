import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleContract, toJsonText } from '../../src/contract/index.js';
import { removeAll, rawRequest, startDocsServer, tempDir, type DocsServer } from './helpers.js';

const SECRET = 'secret-outside-the-docs-dir';

describe('serveDocs', () => {
  let base: string;
  let server: DocsServer;

  beforeAll(async () => {
    // base/docs is served; base/secret.txt and base/package.json sit next to it and must never leak.
    base = await tempDir();
    const dir = join(base, 'docs');
    await mkdir(join(dir, 'guides'), { recursive: true });
    await mkdir(join(dir, 'operations'), { recursive: true });
    await writeFile(join(base, 'secret.txt'), SECRET);
    await writeFile(join(base, 'package.json'), SECRET);
    await writeFile(join(dir, '.env'), SECRET);
    await writeFile(join(dir, 'index.html'), '<!DOCTYPE html><title>docs</title>');
    await writeFile(join(dir, 'llms.txt'), '# llms\n');
    await writeFile(join(dir, 'llms-full.txt'), '# full\n');
    await writeFile(join(dir, 'guides', 'errors.md'), '# Errors\n');
    await writeFile(join(dir, 'operations', 'getHealth.md'), '# Check health\n');
    await writeFile(join(dir, 'openapi.json'), toJsonText((await bundleContract()).document));
    await symlink(join(base, 'secret.txt'), join(dir, 'guides', 'leak.md'));
    server = await startDocsServer(dir);
  });
  afterAll(async () => {
    await server?.close();
    await removeAll(base);
  });

  it.each([
    ['/docs/', 'text/html; charset=utf-8', '<title>docs</title>'],
    ['/docs', 'text/html; charset=utf-8', '<title>docs</title>'],
    ['/docs/?tab=1', 'text/html; charset=utf-8', '<title>docs</title>'],
    ['/docs/errors', 'text/html; charset=utf-8', '<title>docs</title>'],
    ['/docs/rate-limits-and-plans/plans', 'text/html; charset=utf-8', '<title>docs</title>'],
    ['/llms.txt', 'text/plain; charset=utf-8', '# llms'],
    ['/llms-full.txt', 'text/plain; charset=utf-8', '# full'],
    ['/docs/llms.txt', 'text/plain; charset=utf-8', '# llms'],
    ['/docs/guides/errors.md', 'text/markdown; charset=utf-8', '# Errors'],
    ['/docs/operations/getHealth.md', 'text/markdown; charset=utf-8', '# Check health'],
    ['/docs/openapi.json', 'application/json; charset=utf-8', '"openapi": "3.1'],
  ])('serves %s as %s', async (path, type, content) => {
    const res = await rawRequest(server.origin, path);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toContain(content);
  });

  it('sends the HTML with a Content-Security-Policy that allows only its own origin', async () => {
    const res = await rawRequest(server.origin, '/docs/');
    expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(res.headers['content-security-policy']).not.toMatch(/https?:/);
  });

  it.each([
    ['/docs/../package.json', 404],
    ['/docs/../secret.txt', 404],
    ['/docs/%2e%2e/secret.txt', 404],
    ['/docs/%2E%2E/package.json', 404],
    ['/docs/%2e%2e%2fsecret.txt', 404],
    ['/docs/..%2f..%2fsecret.txt', 404],
    ['/docs/guides/%2e%2e/%2e%2e/secret.txt', 404],
    ['/docs/guides/..%5c..%5csecret.txt', 404],
    ['/docs/guides/leak.md', 404],
    ['/docs/.env', 404],
    ['/docs/%2eenv', 404],
    ['/docs/missing.md', 404],
    ['/docs/operations/nope.md', 404],
    ['/docs/%00', 400],
    ['/docs/guides/errors.md%00.html', 400],
    ['/docs/%E0%A4%A', 400],
  ])('refuses %s with %i and a problem, never a file outside the directory', async (path, status) => {
    const res = await rawRequest(server.origin, path);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).not.toContain(SECRET);
    const problem = JSON.parse(res.body);
    expect(problem).toMatchObject({ status, instance: path.split('?')[0] });
    // The registry of the served openapi.json supplies the code, so the type URI lands on the Errors guide.
    expect(problem.type).toMatch(new RegExp(`/errors#${status === 404 ? 'not_found' : 'invalid_request'}$`));
  });

  it('refuses a literal NUL byte in the request line with 400', async () => {
    const { hostname, port } = new URL(server.origin);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => socket.end('GET /docs/guides/errors.md\0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect(reply).not.toContain('# Errors');
  });

  it.each(['/v1/traces', '/docsx', '/llms.txt.bak', '/', '/__mock/state'])('leaves %s to the caller (returns false)', async (path) => {
    const res = await rawRequest(server.origin, path);
    expect(res.status).toBe(418);
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const res = await rawRequest(server.origin, '/llms.txt', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String('# llms\n'.length));
    expect(res.body).toBe('');
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await rawRequest(server.origin, '/docs/guides/errors.md');
    const etag = String(first.headers.etag);
    const second = await rawRequest(server.origin, '/docs/guides/errors.md', { headers: { 'If-None-Match': etag } });
    expect(second.status).toBe(304);
    expect(second.body).toBe('');
  });

  it('refuses writes with 405 and Allow: GET, HEAD', async () => {
    const res = await rawRequest(server.origin, '/docs/', { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    expect(JSON.parse(res.body)).toMatchObject({ type: 'about:blank', status: 405 });
  });

  it('says how to build the docs when the directory does not exist', async () => {
    const missing = await startDocsServer(join(base, 'not-built'));
    try {
      const res = await rawRequest(missing.origin, '/docs/');
      expect(res.status).toBe(404);
      expect(JSON.parse(res.body).detail).toContain('npm run docs');
    } finally {
      await missing.close();
    }
  });
});
