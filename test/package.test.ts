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
});
