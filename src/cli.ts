/**
 * `traceloom <command>` (DESIGN §8): a thin shell over the stages' public functions.
 * @module
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ContractError, bundleContract, defaultRoot, diffContracts, formatChanges, readModel, repoRoot, writeBundle, type OpenApiDocument } from './contract/index.js';
import { buildDocs, docsStale } from './docs/index.js';
import { runDocs } from './docs/cli.js';
import { createMock, type MockOptions, type MockServer } from './mock/index.js';

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, { help: string; run: Command }> = {
  bundle: {
    help: 'bundle openapi/ into generated/openapi.json and generated/openapi.yaml',
    run: async () => {
      const { document } = await bundleContract(defaultRoot);
      readModel(document); // refuse to write a bundle whose x-traceloom data is broken
      for (const file of await writeBundle(document)) console.log(`wrote ${file}`);
      return 0;
    },
  },
  lint: {
    help: 'run the Redocly and Spectral gates on the contract',
    run: async () => {
      const r = spawnSync('npm', ['run', '--silent', 'lint'], { cwd: repoRoot, stdio: 'inherit' });
      return r.status ?? 1;
    },
  },
  docs: {
    help: 'build the rendered reference, guides, llms.txt into generated/docs [--if-stale] [--out DIR] [--root FILE]',
    run: async (args) => runDocs(args),
  },
  generate: {
    help: 'bundle, then write generated/types.ts, server.ts, limits.ts and sdk.ts (--check: exit 1 when they are stale)',
    run: async (args) => {
      const { generate } = await import('./codegen/index.js');
      const check = args.includes('--check');
      const { written, stale } = await generate({ check });
      for (const f of check ? stale : written) console.log(`${check ? 'stale' : 'wrote'} ${f}`);
      return check && stale.length > 0 ? 1 : 0;
    },
  },
  serve: {
    help: 'serve the server stubs: serve [--port 4020] [--handlers FILE] [--redis URL | --redis-cluster HOST:PORT,…] — handlers from FILE (export `handlers`), keys from mocks/; operations without a handler answer 501',
    run: async (args) => {
      const { values } = parseArgs({ args, options: { port: { type: 'string' }, handlers: { type: 'string' }, redis: { type: 'string' }, 'redis-cluster': { type: 'string' }, host: { type: 'string' } }, strict: true });
      const { createServer } = await import('./server/index.js');
      const { loadFixtures } = await import('./mock/fixtures.js');
      const { RedisStore, parseClusterNodes } = await import('./policy/index.js');
      const clusterNodes = values['redis-cluster'] ?? process.env.REDIS_CLUSTER_NODES;
      const { pathToFileURL } = await import('node:url');
      const { resolve } = await import('node:path');
      const document = JSON.parse(readFileSync(join(repoRoot, 'generated', 'openapi.json'), 'utf8')) as OpenApiDocument;
      const model = readModel(document);
      const fixtures = await loadFixtures(model);
      const handlers = values.handlers ? ((await import(pathToFileURL(resolve(values.handlers)).href)) as { handlers?: object; default?: object }) : {};
      const app = createServer({
        handlers: (handlers.handlers ?? handlers.default ?? {}) as never,
        keys: fixtures.tenants.flatMap((t) => t.keys.map((k) => ({ key: k.key, id: k.id, tenantId: t.id, scopes: k.scopes, projectId: k.project_id, revoked: k.revoked }))),
        tenants: fixtures.tenants.map((t) => ({ id: t.id, plan: t.plan, projects: t.projects })),
        store: clusterNodes ? new RedisStore({ cluster: parseClusterNodes(clusterNodes) }) : values.redis ? new RedisStore({ url: values.redis }) : undefined,
        document,
        model,
      });
      const port = Number(values.port ?? 4020);
      const host = values.host ?? '127.0.0.1';
      const server = app.listen(port, host, () => console.log(`Traceloom server stubs on http://${host}:${port}/v1 (handlers: ${values.handlers ?? 'none — every operation answers 501'})`));
      await new Promise<void>((r) => {
        process.once('SIGINT', r);
        process.once('SIGTERM', r);
      });
      await new Promise((r) => server.close(r));
      return 0;
    },
  },
  diff: {
    help: 'breaking changes between two contracts: diff [BASE] [HEAD] — a git ref (default HEAD), a root .yaml or a bundled .json; HEAD defaults to openapi/ as it is now; exits 1 on breaking changes',
    run: async (args) => {
      const [base = 'HEAD', head] = args;
      const a = await contractAt(base);
      const b = head ? await contractAt(head) : (await bundleContract(defaultRoot)).document;
      const { text, breaking } = formatChanges(diffContracts(a, b));
      console.log(text);
      return breaking > 0 ? 1 : 0;
    },
  },
  mock: {
    help: 'serve the mock: [--port 4010] [--host 127.0.0.1] [--limits dev] [--policy NAME=LIMIT/WINDOW]… [--latency 50-200] [--chaos 0.05] [--redis redis://… | --redis-cluster HOST:PORT,…] [--fail-closed] [--no-control] [--no-watch] [--no-rate-limit] [--quiet]',
    run: async (args) => serve(args, false),
  },
  start: {
    help: 'build what is needed (docs), then serve the mock and the docs on :4010',
    run: async (args) => serve(args, true),
  },
};

/** A contract from a bundled .json, a root .yaml, or openapi/ at a git ref. */
async function contractAt(source: string): Promise<OpenApiDocument> {
  if (existsSync(source) && source.endsWith('.json')) return JSON.parse(readFileSync(source, 'utf8')) as OpenApiDocument;
  if (existsSync(source)) return (await bundleContract(source)).document;
  const dir = mkdtempSync(join(tmpdir(), 'traceloom-diff-'));
  try {
    const tar = execFileSync('git', ['archive', source, 'openapi'], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    return (await bundleContract(join(dir, 'openapi', 'openapi.yaml'))).document;
  } catch (err) {
    throw new UsageError(`cannot read the contract at \`${source}\`: not a file and not a git ref with openapi/ (${(err as Error).message.split('\n')[0]})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Parses the mock's flags (DESIGN §9) into {@link MockOptions}. */
export function mockOptions(args: string[]): MockOptions {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      limits: { type: 'string' },
      policy: { type: 'string', multiple: true },
      latency: { type: 'string' },
      chaos: { type: 'string' },
      redis: { type: 'string' },
      'redis-cluster': { type: 'string' },
      'fail-closed': { type: 'boolean' },
      'no-control': { type: 'boolean' },
      'no-watch': { type: 'boolean' },
      'no-rate-limit': { type: 'boolean' },
      quiet: { type: 'boolean' },
    },
    strict: true,
  });
  const port = values.port === undefined ? 4010 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${values.port}: expected a port number`);
  if (values.limits !== undefined && values.limits !== 'dev' && values.limits !== 'contract') throw new UsageError(`--limits ${values.limits}: expected dev or contract`);
  let latencyMs: [number, number] | undefined;
  if (values.latency !== undefined) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(values.latency);
    if (!m) throw new UsageError(`--latency ${values.latency}: expected MS or MIN-MAX, e.g. 50-200`);
    latencyMs = [Number(m[1]), Number(m[2] ?? m[1])];
  }
  const chaos = values.chaos === undefined ? undefined : Number(values.chaos);
  if (chaos !== undefined && !(chaos >= 0 && chaos <= 1)) throw new UsageError(`--chaos ${values.chaos}: expected a share from 0 to 1, e.g. 0.05`);
  return {
    port,
    host: values.host,
    limits: values.limits as MockOptions['limits'],
    policies: values.policy,
    latencyMs,
    chaos,
    redisUrl: values.redis ?? process.env.REDIS_URL,
    redisCluster: values['redis-cluster'] ?? process.env.REDIS_CLUSTER_NODES,
    failMode: values['fail-closed'] ? 'closed' : 'open',
    control: !values['no-control'],
    watch: !values['no-watch'],
    rateLimit: values['no-rate-limit'] ? false : undefined,
    log: values.quiet ? false : undefined,
  };
}

class UsageError extends Error {}

async function serve(args: string[], buildDocs: boolean): Promise<number> {
  const options = mockOptions(args);
  if (buildDocs) await ensureDocs();
  const started = performance.now();
  const mock = await createMock(options);
  console.log(banner(mock, performance.now() - started));
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await mock.close();
  return 0;
}

async function ensureDocs(): Promise<void> {
  try {
    if (await docsStale({ outDir: join(repoRoot, 'generated', 'docs') })) {
      console.log('traceloom: building docs (generated/docs)…');
      await buildDocs({});
    }
  } catch (err) {
    console.error(`traceloom: docs not built (${(err as Error).message}); the API mock still runs.`);
  }
}

/** The start-up banner: URLs, a test key per plan, one curl line. */
export function banner(mock: MockServer, ms: number): string {
  const byPlan = mock.model.plans.map((p) => {
    const t = mock.fixtures.tenants.find((x) => x.plan === p.id);
    const key = t?.keys.find((k) => !k.revoked && k.scopes.includes('read'));
    return `    ${p.name.padEnd(11)} ${key?.key ?? '(no fixture)'}`;
  });
  const example = mock.fixtures.tenants[0]?.keys[0]?.key ?? 'tl_test_…';
  return [
    `Traceloom mock ready in ${Math.round(ms)} ms`,
    `  API          ${mock.url}/v1`,
    `  Console      ${mock.url}/__mock/`,
    `  Docs         ${mock.url}/docs/`,
    `  llms.txt     ${mock.url}/llms.txt`,
    `  Control API  ${mock.url}/__mock/state`,
    '  Test keys (one per plan; more in mocks/tenants.yaml):',
    ...byPlan,
    `  Try: curl -i -H "Authorization: Bearer ${example}" ${mock.url}/v1/usage`,
  ].join('\n');
}

/** Runs one CLI command; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    const list = Object.entries(commands).map(([n, c]) => `  ${n.padEnd(10)} ${c.help}`).join('\n');
    console.error(`${name ? `unknown command \`${name}\`\n` : ''}usage: traceloom <command>\n${list}`);
    return name ? 2 : 0;
  }
  try {
    return await command.run(args);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`traceloom ${name}: ${(err as Error).message}`);
      return 2;
    }
    if (err instanceof ContractError) {
      console.error(`traceloom ${name}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
