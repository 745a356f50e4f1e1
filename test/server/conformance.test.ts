import { describe, expect, it } from 'vitest';
import { conformanceSuite } from '../conformance/suite.js';
import { createServer } from '../../src/server/index.js';
import { serverTarget } from './reference.js';

conformanceSuite('server stubs (Express + reference handlers)', serverTarget);

describe('server stubs without handlers', () => {
  it('answer 501 not_implemented as a problem, after auth and rate limits', async () => {
    const app = createServer({ handlers: {}, keys: [{ key: 'tl_test_stub_000000000000000000000001', id: 'key_stubonly', tenantId: 'ten_stubco', scopes: ['read'] }], tenants: [{ id: 'ten_stubco', plan: 'pro' }] });
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
