import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { repoRoot } from '../../src/contract/index.js';
import { createMock, type MockServer } from '../../src/mock/index.js';

const KEY = 'tl_test_free_0000000000000000000001';

describe('hot reload of openapi/ and mocks/', () => {
  let dir: string;
  let mock: MockServer;
  const usage = () => fetch(`${mock.url}/v1/usage`, { headers: { authorization: `Bearer ${KEY}` } });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-reload-'));
    await cp(join(repoRoot, 'openapi'), join(dir, 'openapi'), { recursive: true });
    await cp(join(repoRoot, 'mocks'), join(dir, 'mocks'), { recursive: true });
    mock = await createMock({ port: 0, log: false, watch: true, root: join(dir, 'openapi', 'openapi.yaml'), mocksDir: join(dir, 'mocks'), env: {} });
  });
  afterAll(async () => {
    await mock?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('applies an edited limit, keeps the counters, and keeps the last good contract after a broken edit', async () => {
    const before = await usage();
    expect(before.headers.get('ratelimit-policy')).toContain('"default";q=60;w=60');
    await usage();
    const file = join(dir, 'openapi', 'traceloom.yaml');
    const good = await readFile(file, 'utf8');
    await writeFile(file, good.replace('requests_per_minute: 60', 'requests_per_minute: 45'));
    await vi.waitFor(async () => expect((await usage()).headers.get('ratelimit-policy')).toContain('"default";q=45;w=60'), { timeout: 10_000, interval: 200 });
    // Counters survived the reload: 3+ requests so far were counted against the same window.
    const state = (await usage()).headers.get('ratelimit')!;
    expect(Number(/"default";r=(\d+)/.exec(state)![1])).toBeLessThanOrEqual(45 - 4);
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    await writeFile(file, good.replace('algorithm: fixed-window', 'algorithm: leaky-bucket'));
    await vi.waitFor(() => expect(errors.mock.calls.flat().join(' ')).toMatch(/kept the last good contract[\s\S]*leaky-bucket/), {
      timeout: 10_000,
      interval: 200,
    });
    errors.mockRestore();
    const after = await usage();
    expect(after.status).toBe(200);
    expect(after.headers.get('ratelimit-policy')).toContain('"default";q=45;w=60');
  });
});
