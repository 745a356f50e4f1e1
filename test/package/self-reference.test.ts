/**
 * The package from inside the repository (DESIGN §9): `import('traceloom')` and its subpaths
 * resolve through `exports` to dist/ after `npm ci`. test/package/consumer.test.ts checks the
 * same from an app that installed the tarball.
 * @module
 */
import { describe, expect, it } from 'vitest';

describe('the traceloom package (DESIGN §9)', () => {
  it('self-references from the repository root and exports the client, server and mock factories', async () => {
    const pkg = await import('traceloom');
    expect(typeof pkg.createClient).toBe('function');
    expect(typeof pkg.createServer).toBe('function');
    expect(typeof pkg.createMock).toBe('function');
  });

  it('createMock from the package answers {url, close()} once listening', async () => {
    const { createMock } = await import('traceloom');
    const mock = await createMock({ port: 0, log: false });
    try {
      const r = await fetch(`${mock.url}/v1/health`);
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ status: 'ok' });
    } finally {
      await mock.close();
    }
  });

  it('resolves every subpath the package exports, the Redis store only from its own', async () => {
    expect(typeof (await import('traceloom/client')).createClient).toBe('function');
    expect(typeof (await import('traceloom/server')).createServer).toBe('function');
    expect(typeof (await import('traceloom/mock')).createMock).toBe('function');
    const policy = await import('traceloom/policy');
    expect(typeof policy.decide).toBe('function');
    expect('RedisStore' in policy).toBe(false);
    expect(typeof (await import('traceloom/policy/redis')).RedisStore).toBe('function');
  });
});
