/**
 * `traceloom/msw` in a real browser: Chromium loads a page that starts MSW's service worker with
 * our handlers; the bundled Traceloom client calls https://api.traceloom.dev through it, meets a
 * 429 and paces through it. Judged by what the client sent when (recorded in the page).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, requireBinary } from '../support/requires.js';

const KEY = 'tl_test_free_0000000000000000000001';
const WORKER = readFileSync(createRequire(import.meta.url).resolve('msw/mockServiceWorker.js'), 'utf8');

describe('traceloom/msw in Chromium behind MSW’s service worker', () => {
  if (!requireBinary(CHROMIUM, 'chromium', 'apt-get install -y chromium')) return;
  let page: Server;
  let pageUrl: string;
  let bundle: { code: string; gzip: number };
  beforeAll(async () => {
    const { build } = await import('esbuild');
    const { gzipSync } = await import('node:zlib');
    const out = await build({
      entryPoints: [fileURLToPath(new URL('./browser-page.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      minify: true,
      write: false,
      logLevel: 'silent',
    });
    const code = out.outputFiles[0]!.text;
    bundle = { code, gzip: gzipSync(code).length };
    page = createServer((req, res) => {
      const [type, body] =
        req.url === '/page.js'
          ? ['text/javascript', bundle.code]
          : req.url === '/mockServiceWorker.js'
            ? ['text/javascript', WORKER]
            : ['text/html', '<!doctype html><title>app</title><script type="module" src="/page.js"></script><p>app</p>'];
      res.setHeader('content-type', type);
      res.end(body);
    });
    await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
    pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/`;
  }, 120_000);
  afterAll(async () => {
    await new Promise((r) => (page ? page.close(r) : r(undefined)));
  });

  it('the client meets a 429, waits its Retry-After, then paces: no second 429 is sent', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const tab = await browser.newPage();
      const errors: string[] = [];
      tab.on('pageerror', (e) => errors.push(String(e)));
      await tab.goto(pageUrl);
      await tab.waitForFunction(() => 'runMswTest' in window, undefined, { timeout: 60_000 });
      const out = (await tab.evaluate((key) => (window as unknown as { runMswTest: (k: string) => Promise<unknown> }).runMswTest(key), KEY)) as {
        spent: number[];
        results: number[];
        sent: { at: number; status: number; arrived: number; retryAfter: string | null; ratelimit: string | null }[];
      };
      expect(errors).toEqual([]);
      expect(out.spent).toEqual([200, 200]);
      // Every call the app made ended in 200.
      expect(out.results).toEqual([200, 200, 200, 200]);
      // Exactly one 429 was sent: the first attempt; its headers were readable through the worker.
      const refused = out.sent.filter((s) => s.status === 429);
      expect(refused).toHaveLength(1);
      expect(out.sent[0]!.status).toBe(429);
      const retryAfter = Number(out.sent[0]!.retryAfter);
      expect(retryAfter).toBeGreaterThan(0);
      expect(out.sent[0]!.ratelimit).toMatch(/"default";r=0;t=\d+/);
      // The retry was sent no earlier than Retry-After after the 429 arrived (1 s granularity of the header).
      expect(out.sent[1]!.at - out.sent[0]!.arrived).toBeGreaterThanOrEqual(retryAfter * 1000 - 50);
      console.log(
        `msw browser: page bundle ${(bundle.code.length / 1024).toFixed(0)} KB min, ${(bundle.gzip / 1024).toFixed(0)} KB min+gzip (msw + traceloom/msw + client); sent ${out.sent.map((s) => s.status).join(', ')}`,
      );
    } finally {
      await browser.close();
    }
  }, 120_000);
});
