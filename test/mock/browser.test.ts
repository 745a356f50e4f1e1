import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMock, type MockServer } from '../../src/mock/index.js';
import { CHROMIUM, CHROMIUM_ARGS, requireBinary } from '../support/requires.js';

const KEY = 'tl_test_free_0000000000000000000001';

describe('a browser on another origin', () => {
  if (!requireBinary(CHROMIUM, 'chromium', 'apt-get install -y chromium')) return;
  let mock: MockServer;
  let page: Server;
  let pageUrl: string;
  beforeAll(async () => {
    mock = await createMock({ port: 0, log: false, policies: ['default=2/60s'] });
    page = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>dashboard</title><p>dashboard</p>');
    });
    await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
    // localhost vs 127.0.0.1 and another port: a different origin in every sense.
    pageUrl = `http://localhost:${(page.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await mock?.close();
    await new Promise((r) => page?.close(r));
  });

  it('reads X-RateLimit-Remaining, RateLimit and Retry-After from a credentialed fetch to the mock', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const tab = await browser.newPage();
      await tab.goto(pageUrl);
      const results = await tab.evaluate(
        async ({ url, key }) => {
          const out = [];
          for (let i = 0; i < 3; i++) {
            const r = await fetch(`${url}/v1/ingest`, {
              method: 'POST',
              credentials: 'include',
              headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
              body: JSON.stringify({ trace_id: `tr_browser${i}abc`, name: 'b', start_time: '2026-03-03T12:00:00Z', spans: [] }),
            });
            out.push({
              status: r.status,
              remaining: r.headers.get('X-RateLimit-Remaining'),
              ratelimit: r.headers.get('RateLimit'),
              retryAfter: r.headers.get('Retry-After'),
              requestId: r.headers.get('X-Request-Id'),
              body: await r.json(),
            });
          }
          return out;
        },
        { url: mock.url, key: KEY },
      );
      expect(results.map((r) => r.status)).toEqual([202, 202, 429]);
      expect(results.map((r) => r.remaining)).toEqual(['1', '0', '0']);
      expect(results[2]!.ratelimit).toMatch(/^"default";r=0;t=\d+$/);
      expect(Number(results[2]!.retryAfter)).toBe(results[2]!.body.retry_after_seconds);
      expect(results[2]!.requestId).toBe(results[2]!.body.request_id);
    } finally {
      await browser.close();
    }
  });
});
