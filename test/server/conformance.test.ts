import { describe, expect, it } from 'vitest';
import { conformanceSuite } from '../conformance/suite.js';
import { createServer } from '../../src/server/index.js';
import { serverTarget } from './reference.js';

conformanceSuite('server stubs (Express + reference handlers)', serverTarget);

describe('server stubs without handlers', () => {
  it('answer 501 not_implemented as a problem, after auth and rate limits', async () => {
    const app = createServer({
      handlers: {},
      keys: [{ key: 'tl_test_stub_000000000000000000000001', id: 'key_stubonly', tenantId: 'ten_stubco', scopes: ['read'] }],
      tenants: [{ id: 'ten_stubco', plan: 'pro' }],
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const r = await fetch(`${url}/v1/traces`, { headers: { authorization: 'Bearer tl_test_stub_000000000000000000000001' } });
      expect(r.status).toBe(501);
      expect(r.headers.get('content-type')).toMatch(/problem\+json/);
      expect(r.headers.get('ratelimit-policy')).toContain('"default"');
      expect(await r.json()).toMatchObject({ code: 'not_implemented', status: 501 });
      expect((await fetch(`${url}/v1/traces`)).status).toBe(401);
    } finally {
      server.close();
    }
  });
});

describe('server stubs and requests Node cannot parse', () => {
  it('answer headers over 16 KB with a 431 headers_too_large problem, like the mock', async () => {
    const { connect } = await import('node:net');
    const app = createServer({ handlers: {}, keys: [], tenants: [] });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const port = (server.address() as { port: number }).port;
      const text = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(`GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
        let out = '';
        socket.on('data', (c) => (out += c.toString()));
        socket.on('end', () => resolve(out));
        socket.on('error', reject);
      });
      expect(text).toMatch(/^HTTP\/1\.1 431 /);
      expect(text).toMatch(/Content-Type: application\/problem\+json/);
      expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toMatchObject({ code: 'headers_too_large', status: 431 });
    } finally {
      server.close();
    }
  });
});
