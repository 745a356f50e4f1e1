/**
 * The package as a user meets it (issue 11, DESIGN §9): `npm pack` from a fresh clone, the tarball
 * installed into an app outside the repository (only our runtime dependencies), then every entry
 * point imported in Node, a strict consumer type-checked under NodeNext and Bundler, the browser
 * client bundled by esbuild within its size budget, the app's own `npx traceloom` CLI, and Chromium
 * on a second origin reading through the bundled client from the app's mock.
 *
 * Runs on whatever Node runs vitest: `npm test` (Node 20 here) and `npm run test:consumer`
 * (a temporary Node 24). `TRACELOOM_TARBALL=path.tgz` skips the pack step and uses that tarball.
 * @module
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, requireBinary } from '../support/requires.js';
import { cleanEnv, freshClone, run, runOk, startUntil, tarballIn, type Started } from './scratch.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FREE_KEY = 'tl_test_free_0000000000000000000001';
/** The browser client's budget, minified + gzip (issue 11). */
const CLIENT_BUDGET_BYTES = 12 * 1024;
const ENTRY_POINTS = ['traceloom', 'traceloom/client', 'traceloom/server', 'traceloom/mock', 'traceloom/policy', 'traceloom/policy/redis', 'traceloom/msw'];
/** The MSW major the handlers are tested with in the app (msw is an optional peer dependency). */
const MSW = 'msw@2';
/** The mock's banner line with its URL (`--port 0` picks a free port; the banner names it). */
const BANNER = /API\s+(http:\/\/127\.0\.0\.1:\d+)\/v1/;
/** npm pack builds (tsc + docs) and npm install resolves ~550 packages: minutes on a loaded 2-core machine. */
const NPM_TIMEOUT_MS = 10 * 60_000;

const node = process.execPath;
const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');

let work: string;
let app: string;
let tarball: string;

beforeAll(
  async () => {
    work = mkdtempSync(join(tmpdir(), 'traceloom-consumer-'));
    const started = Date.now();
    if (process.env.TRACELOOM_TARBALL) {
      tarball = process.env.TRACELOOM_TARBALL;
    } else {
      const clone = join(work, 'clone');
      mkdirSync(clone);
      await freshClone(REPO, clone);
      await runOk('npm', ['pack', '--pack-destination', work], { cwd: clone, timeoutMs: NPM_TIMEOUT_MS });
      tarball = tarballIn(work);
    }
    const packed = Date.now();
    app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer-app', version: '1.0.0', private: true, type: 'module' }, null, 2));
    await runOk('npm', ['i', tarball, '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, timeoutMs: NPM_TIMEOUT_MS });
    // What an app testing with MSW adds: the peer dependency of traceloom/msw.
    await runOk('npm', ['i', '-D', MSW, '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, timeoutMs: NPM_TIMEOUT_MS });
    console.log(
      `consumer: node ${process.version}; packed in ${((packed - started) / 1000).toFixed(0)} s, installed in ${((Date.now() - packed) / 1000).toFixed(0)} s`,
    );
  },
  2 * NPM_TIMEOUT_MS + 60_000,
);

afterAll(() => {
  if (work && !process.env.TRACELOOM_KEEP_SCRATCH) rmSync(work, { recursive: true, force: true });
});

describe(`the packed tarball installed into an app outside the repository (Node ${process.version})`, () => {
  it('holds the compiled code, types, contract, bundle, docs and fixtures, and no sources, tests or benchmarks', async () => {
    const { stdout } = await runOk('tar', ['-tzf', tarball], { cwd: work, timeoutMs: 60_000 });
    const files = stdout
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''));
    console.log(`consumer: tarball ${(statSync(tarball).size / 1024).toFixed(0)} KB, ${files.length} files`);
    for (const f of [
      'dist/src/cli.js',
      'dist/src/index.d.ts',
      'dist/src/client/index.js',
      'dist/src/policy/redis.d.ts',
      'dist/generated/types.d.ts',
      'openapi/openapi.yaml',
      'generated/openapi.json',
      'generated/docs/index.html',
      'mocks/tenants.yaml',
      'bin/traceloom.mjs',
      'redocly.yaml',
      '.redocly.lint-ignore.yaml',
      '.spectral.yaml',
    ]) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^(src|test|bench|node_modules|scratch)\//.test(f) || f.startsWith('generated/bench') || f.endsWith('.test.js'))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(app, 'node_modules', 'traceloom', 'package.json'), 'utf8')) as { private?: boolean };
    expect(pkg.private).toBeUndefined();
    // the bin runs without a TypeScript loader: none is installed with our runtime dependencies
    expect(existsSync(join(app, 'node_modules', 'tsx'))).toBe(false);
  });

  it('imports every entry point in Node, each with what it promises', async () => {
    const script = `
      const out = {};
      for (const s of ${JSON.stringify(ENTRY_POINTS)}) out[s] = Object.keys(await import(s)).sort();
      console.log(JSON.stringify(out));`;
    writeFileSync(join(app, 'imports.mjs'), script);
    const { stdout } = await runOk(node, ['imports.mjs'], { cwd: app, timeoutMs: 120_000 });
    const exported = JSON.parse(stdout) as Record<string, string[]>;
    expect(exported['traceloom']).toEqual(expect.arrayContaining(['createClient', 'createServer', 'createMock']));
    expect(exported['traceloom/client']).toEqual(expect.arrayContaining(['createClient', 'TraceloomError', 'unwrap']));
    expect(exported['traceloom/server']).toContain('createServer');
    expect(exported['traceloom/mock']).toContain('createMock');
    expect(exported['traceloom/policy']).toEqual(expect.arrayContaining(['decide', 'MemoryStore', 'rateLimitHeaders', 'problem', 'applyOverrides']));
    expect(exported['traceloom/policy']).not.toContain('RedisStore');
    expect(exported['traceloom/policy/redis']).toEqual(expect.arrayContaining(['RedisStore', 'parseClusterNodes']));
    expect(exported['traceloom/msw']).toEqual(expect.arrayContaining(['createMswHandlers', 'createFetchMock', 'MockControlError']));
  }, 120_000);

  it('type-checks a strict consumer (skipLibCheck off) under NodeNext and Bundler; a path the contract lacks is a compile error', async () => {
    writeFileSync(
      join(app, 'consumer.ts'),
      `import { createClient, createMock, createServer, type components, type Handlers, type paths, type ServerContext } from 'traceloom';
import { createClient as createBrowserClient, TraceloomError, type TraceloomClient } from 'traceloom/client';
import { createServer as createServerStubs } from 'traceloom/server';
import { createMock as startMock, type MockOptions, type MockServer } from 'traceloom/mock';
import { decide, MemoryStore, problem, rateLimitHeaders, type Decision } from 'traceloom/policy';
import { RedisStore } from 'traceloom/policy/redis';
import { createMswHandlers, type MswHandlers } from 'traceloom/msw';

const client: TraceloomClient = createBrowserClient({ apiKey: '${FREE_KEY}', baseUrl: 'http://127.0.0.1:4010' });
export async function usage(): Promise<number> {
  const { data } = await client.GET('/v1/usage');
  // @ts-expect-error the contract has no /v1/no-such-path
  await client.GET('/v1/no-such-path');
  return data ? 1 : 0;
}
const handlers: Handlers<ServerContext> = {
  getHealth: () => ({ status: 200, body: { status: 'ok', version: '1.0.0', time: new Date().toISOString() } }),
};
export const app = createServer({ handlers });
export const options: MockOptions = { port: 0, root: 'my-api/openapi.yaml', mocksDir: 'my-mocks' };
export const started: Promise<MockServer> = startMock(options);
export const mswHandlers: MswHandlers = createMswHandlers({ policies: ['default=5/1h'] });
export const all = [createClient, createMock, createServerStubs, decide, MemoryStore, problem, rateLimitHeaders, RedisStore, TraceloomError];
export type UsagePath = paths['/v1/usage'];
export type Schemas = keyof components['schemas'];
export type D = Decision;
`,
    );
    for (const [moduleResolution, module] of [
      ['NodeNext', 'NodeNext'],
      ['Bundler', 'ESNext'],
    ] as const) {
      const config = {
        compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, target: 'ES2022', module, moduleResolution, lib: ['ES2022', 'DOM'] },
        files: ['consumer.ts'],
      };
      writeFileSync(join(app, `tsconfig.${moduleResolution}.json`), JSON.stringify(config, null, 2));
      const r = await run(node, [tsc, '-p', `tsconfig.${moduleResolution}.json`], { cwd: app, timeoutMs: 300_000 });
      expect(`${moduleResolution}: exit ${r.code}\n${r.stdout}${r.stderr}`).toBe(`${moduleResolution}: exit 0\n`);
    }
  }, 600_000);

  it(`bundles traceloom/client for the browser with esbuild: zero errors, no Node module, at most ${CLIENT_BUDGET_BYTES / 1024} KB min+gzip`, async () => {
    const { size, inputs } = await bundleForBrowser(`import { createClient } from 'traceloom/client';\nwindow.traceloom = { createClient };\n`, 'client.js');
    console.log(
      `consumer: traceloom/client for the browser: ${(size.min / 1024).toFixed(1)} KB min, ${(size.gzip / 1024).toFixed(1)} KB min+gzip (budget ${CLIENT_BUDGET_BYTES / 1024} KB)`,
    );
    expect(inputs.filter((f) => /node_modules\/(express|ioredis|@stoplight|@redocly|ajv|jose|yaml)\//.test(f))).toEqual([]);
    expect(size.gzip).toBeLessThanOrEqual(CLIENT_BUDGET_BYTES);
  }, 120_000);

  it('bundles traceloom/policy for the browser too: the pure engine, no ioredis in its graph', async () => {
    const { inputs } = await bundleForBrowser(`import * as policy from 'traceloom/policy';\nwindow.policy = policy;\n`, 'policy.js');
    expect(inputs.filter((f) => /ioredis|redis-store/.test(f))).toEqual([]);
  }, 120_000);

  describe(`traceloom/msw with ${MSW} in the app`, () => {
    it('msw/node: default=5/1h answers five 200s, then a 429 whose Retry-After, body and RateLimit-Policy agree', async () => {
      writeFileSync(
        join(app, 'msw-node.mjs'),
        `import { setupServer } from 'msw/node';
import { createMswHandlers } from 'traceloom/msw';
const api = createMswHandlers({ policies: ['default=5/1h'] });
const server = setupServer(...api);
server.listen({ onUnhandledRequest: 'error' });
const out = [];
for (let i = 0; i < 6; i++) {
  const r = await fetch('https://api.traceloom.dev/v1/usage', { headers: { authorization: 'Bearer ${FREE_KEY}' } });
  out.push({ status: r.status, retryAfter: r.headers.get('retry-after'), policy: r.headers.get('ratelimit-policy'), ratelimit: r.headers.get('ratelimit'), type: r.headers.get('content-type'), body: await r.json() });
}
server.close();
console.log(JSON.stringify(out));
`,
      );
      const { stdout } = await runOk(node, ['msw-node.mjs'], { cwd: app, timeoutMs: 120_000 });
      const answers = JSON.parse(stdout) as { status: number; retryAfter: string | null; policy: string; ratelimit: string; type: string; body: any }[];
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 429]);
      const refused = answers[5]!;
      expect(refused.type).toBe('application/problem+json');
      expect(refused.body).toMatchObject({ code: 'rate_limited', status: 429, limit: 5, window_seconds: 3600, violated_policies: ['default'] });
      expect(Number(refused.retryAfter)).toBe(refused.body.retry_after_seconds);
      expect(refused.retryAfter).not.toBeNull();
      expect(refused.policy).toContain('"default";q=5;w=3600');
      expect(refused.ratelimit).toMatch(/"default";r=0;t=\d+/);
    }, 120_000);

    it('bundles traceloom/msw for the browser: zero errors, no Node module in its graph, msw left to the app', async () => {
      const { size, inputs } = await bundleForBrowser(
        `import { createMswHandlers } from 'traceloom/msw';\nwindow.api = createMswHandlers;\n`,
        'msw-handlers.js',
        ['msw'],
      );
      console.log(
        `consumer: traceloom/msw for the browser (msw external): ${(size.min / 1024).toFixed(0)} KB min, ${(size.gzip / 1024).toFixed(0)} KB min+gzip`,
      );
      expect(inputs.filter((f) => /node_modules\/(express|ioredis|@stoplight|@redocly|yaml|openapi-typescript)\//.test(f))).toEqual([]);
    }, 120_000);
  });

  describe("the app's own `npx traceloom`", () => {
    const npx = (args: string[], timeoutMs = 120_000) => run('npx', ['--no', '--', 'traceloom', ...args], { cwd: app, timeoutMs });

    it("prints usage for --help and for a command's --help", async () => {
      const top = await npx(['--help']);
      expect(top.code).toBe(0);
      for (const c of ['mock', 'start', 'docs', 'lint', 'bundle', 'generate', 'serve', 'diff']) expect(top.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
      const mock = await npx(['mock', '--help']);
      expect(mock.code).toBe(0);
      expect(mock.stdout).toMatch(/usage: traceloom mock .*--root FILE\|DIR.*--mocks DIR/);
    }, 120_000);

    it('names an unknown flag and exits 2', async () => {
      const r = await npx(['mock', '--no-such-flag']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('unknown flag --no-such-flag');
    }, 120_000);

    it('bundles, generates and diffs the shipped contract into the app folder, never into node_modules', async () => {
      expect((await npx(['bundle', '--out', 'out/bundle'])).code).toBe(0);
      expect(JSON.parse(readFileSync(join(app, 'out', 'bundle', 'openapi.json'), 'utf8')).openapi).toMatch(/^3\.1/);
      const gen = await npx(['generate', '--out', 'out/gen'], 300_000);
      expect(gen.code, gen.stderr).toBe(0);
      expect(readFileSync(join(app, 'out', 'gen', 'types.ts'), 'utf8')).toContain('"/v1/usage"');
      const bundle = join(app, 'node_modules', 'traceloom', 'generated', 'openapi.json');
      const diff = await npx(['diff', bundle, bundle]);
      expect(diff.code, diff.stdout + diff.stderr).toBe(0);
    }, 600_000);

    it('lint and docs say exactly what to install when the development tools are absent', async () => {
      const lint = await npx(['lint']);
      expect(lint.code).toBe(1);
      expect(lint.stderr).toMatch(/npm i -D @redocly\/cli@\S+ @stoplight\/spectral-cli@\S+/);
      const docs = await npx(['docs', '--out', 'out/docs']);
      expect(docs.code).not.toBe(0);
      expect(docs.stderr).toMatch(/npm i -D @redocly\/cli@/);
    }, 300_000);

    it('serves the shipped contract, fixtures and docs by default', async () => {
      const mock = await startMock([]);
      try {
        const url = mock.match[1]!;
        const usage = await fetch(`${url}/v1/usage`, { headers: { authorization: `Bearer ${FREE_KEY}` } });
        expect(usage.status).toBe(200);
        const docs = await fetch(`${url}/docs/`);
        expect(docs.status).toBe(200);
        expect(await docs.text()).toContain('<html');
        expect(mock.output()).toContain(join('node_modules', 'traceloom', 'mocks', 'tenants.yaml'));
      } finally {
        await mock.stop();
      }
    }, 300_000);

    it("--root and --mocks point the mock at the app's own contract and fixtures", async () => {
      const pkg = join(app, 'node_modules', 'traceloom');
      cpSync(join(pkg, 'openapi'), join(app, 'my-api'), { recursive: true });
      cpSync(join(pkg, 'mocks'), join(app, 'my-mocks'), { recursive: true });
      const rootFile = join(app, 'my-api', 'openapi.yaml');
      writeFileSync(rootFile, readFileSync(rootFile, 'utf8').replace(/^(\s+version:\s*)['"]?[^'"\n]+['"]?$/m, "$1'9.9.9-consumer'"));
      const ownKey = FREE_KEY.replace(/1$/, '7');
      const tenants = join(app, 'my-mocks', 'tenants.yaml');
      writeFileSync(tenants, readFileSync(tenants, 'utf8').replace(FREE_KEY, ownKey));
      const mock = await startMock(['--root', 'my-api', '--mocks', 'my-mocks']);
      try {
        const url = mock.match[1]!;
        const health = (await (await fetch(`${url}/v1/health`)).json()) as { version: string };
        expect(health.version).toBe('9.9.9-consumer');
        expect((await fetch(`${url}/v1/usage`, { headers: { authorization: `Bearer ${ownKey}` } })).status).toBe(200);
        expect((await fetch(`${url}/v1/usage`, { headers: { authorization: `Bearer ${FREE_KEY}` } })).status).toBe(401);
        expect(mock.output()).toContain(relative(app, tenants));
      } finally {
        await mock.stop();
      }
    }, 300_000);
  });

  describe("Chromium on a second origin, through the bundled client, against the app's mock", () => {
    if (!requireBinary(CHROMIUM, 'chromium', 'apt-get install -y chromium')) return;
    let mock: Started;
    let page: Server;
    let pageUrl: string;
    beforeAll(async () => {
      mock = await startMock([]);
      const { code } = await bundleForBrowser(`import { createClient } from 'traceloom/client';\nwindow.traceloom = { createClient };\n`, 'page-client.js');
      page = createServer((req, res) => {
        if (req.url === '/client.js') {
          res.setHeader('content-type', 'text/javascript');
          res.end(code);
          return;
        }
        res.setHeader('content-type', 'text/html');
        res.end('<!doctype html><title>app</title><script type="module" src="/client.js"></script><p>app</p>');
      });
      await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
      // localhost vs the mock's 127.0.0.1, and another port: a different origin
      pageUrl = `http://localhost:${(page.address() as AddressInfo).port}/`;
    }, 180_000);
    afterAll(async () => {
      await mock?.stop();
      await new Promise((r) => (page ? page.close(r) : r(undefined)));
    });

    it('30 reads with the Free test key all end in 200: the client waits out the burst, no 429 reaches the app', async () => {
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      try {
        const tab = await browser.newPage();
        const onWire: number[] = [];
        tab.on('response', (r) => {
          if (r.url().includes('/v1/usage')) onWire.push(r.status());
        });
        await tab.goto(pageUrl);
        await tab.waitForFunction(() => 'traceloom' in window, undefined, { timeout: 60_000 });
        const statuses = await tab.evaluate(
          async ({ url, key }) => {
            const { createClient } = (
              window as unknown as { traceloom: { createClient: (o: object) => { GET(path: string): Promise<{ response?: Response }> } } }
            ).traceloom;
            const client = createClient({ apiKey: key, baseUrl: url });
            return Promise.all(
              Array.from({ length: 30 }, () =>
                client.GET('/v1/usage').then(
                  (r) => r.response?.status ?? -1,
                  (e: unknown) => String(e),
                ),
              ),
            );
          },
          { url: mock.match[1]!, key: FREE_KEY },
        );
        console.log(`consumer: 30 reads from the browser: ${onWire.length} requests on the wire, ${onWire.filter((s) => s === 429).length} of them 429`);
        expect(statuses).toEqual(Array(30).fill(200));
      } finally {
        await browser.close();
      }
    }, 120_000);
  });
});

/** `npx traceloom mock --port 0` in the app; resolves once its banner names the URL. */
function startMock(extra: string[]): Promise<Started> {
  return startUntil('npx', ['--no', '--', 'traceloom', 'mock', '--port', '0', '--no-watch', '--quiet', ...extra], {
    cwd: app,
    ready: BANNER,
    timeoutMs: 120_000,
    env: cleanEnv(),
  });
}

/** Bundles `source` (an entry in the app) with the repository's esbuild for the browser, minified. */
async function bundleForBrowser(
  source: string,
  name: string,
  external: string[] = [],
): Promise<{ code: string; inputs: string[]; size: { min: number; gzip: number } }> {
  const { build } = await import('esbuild');
  writeFileSync(join(app, name), source);
  const result = await build({
    entryPoints: [join(app, name)],
    absWorkingDir: app,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    external,
    logLevel: 'silent',
  }).catch((err: { errors?: { text: string }[] }) => {
    throw new Error(`esbuild --platform=browser failed for ${name}:\n${(err.errors ?? []).map((e) => e.text).join('\n') || String(err)}`);
  });
  expect(result.errors).toEqual([]);
  const code = result.outputFiles[0]!.text;
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.filter((f) => f.startsWith('node:'))).toEqual([]);
  return { code, inputs, size: { min: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).length } };
}
