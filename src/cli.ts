/**
 * `traceloom <command>` (DESIGN §8): a thin shell over the stages' public functions, each loaded
 * only by the command that needs it (so `--help`, `diff` or `lint` do not start Prism).
 * @module
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  ContractError,
  bundleContract,
  defaultRoot,
  diffContracts,
  formatChanges,
  readModel,
  repoRoot,
  writeBundle,
  type OpenApiDocument,
} from './contract/index.js';
import type { MockOptions, MockServer } from './mock/index.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

interface Command {
  /** The command's synopsis after `traceloom NAME`. */
  usage: string;
  /** One line for `traceloom --help`. */
  summary: string;
  /** Flags, parsed strictly: an unknown flag is a usage error (exit 2). */
  options: Options;
  positionals?: boolean;
  run(values: Values, positionals: string[], args: string[]): Promise<number>;
}

/**
 * Installed from the package (under node_modules), not a checkout of the repository. Then nothing
 * is ever written inside the package: outputs go under the current folder (see {@link workDir}).
 */
export const installed = repoRoot.split(sep).includes('node_modules');

/** Where commands write by default: the repository in a checkout, the current folder when installed. */
function workDir(): string {
  return installed ? process.cwd() : repoRoot;
}

/** Docs built for the contract this package ships (in the tarball, built by `prepack`). */
const shippedDocs = join(repoRoot, 'generated', 'docs');

/**
 * Docs built for any other contract, or whenever the shipped ones cannot be used: `.traceloom/docs`
 * under the current folder — the user's own project folder, next to the contract they point at,
 * visible and deletable; never node_modules (npm owns it and replaces it on every install) and not
 * a machine-wide cache (the docs belong to one project's contract).
 */
function docsCache(): string {
  return join(process.cwd(), '.traceloom', 'docs');
}

/** `--root FILE|DIR` → the contract's root file (a folder means its openapi.yaml). */
function contractRoot(value: string | undefined): string {
  if (value === undefined) return defaultRoot;
  const path = resolve(value);
  if (!existsSync(path)) throw new UsageError(`--root ${value}: no such file or folder; give the contract's root .yaml (or the folder holding openapi.yaml)`);
  return statSync(path).isDirectory() ? join(path, 'openapi.yaml') : path;
}

/** Where the docs for `root` live: the shipped ones for the shipped contract, else the docs cache. */
function docsDirFor(root: string): string {
  return resolve(root) === defaultRoot ? shippedDocs : docsCache();
}

const str = (v: Values[string]) => (typeof v === 'string' ? v : undefined);

const commands: Record<string, Command> = {
  mock: {
    usage:
      'mock [--port 4010] [--host 127.0.0.1] [--root FILE|DIR] [--mocks DIR] [--docs DIR] [--limits dev] [--policy NAME=LIMIT/WINDOW]… [--latency 50-200] [--chaos 0.05] [--redis redis://… | --redis-cluster HOST:PORT,…] [--fail-closed] [--no-control] [--no-watch] [--no-rate-limit] [--quiet]',
    summary: 'serve the mock API (the shipped contract and fixtures unless --root/--mocks say otherwise)',
    options: {},
    run: async (_values, _positionals, args) => serve(args, false),
  },
  start: {
    usage: 'start [mock flags]',
    summary: 'build the docs if needed, then serve the mock and the docs on :4010',
    options: {},
    run: async (_values, _positionals, args) => serve(args, true),
  },
  docs: {
    usage: 'docs [--root FILE|DIR] [--out DIR] [--base-path /docs] [--if-stale]',
    summary: 'build the rendered reference, guides and llms.txt (needs @redocly/cli)',
    options: { root: { type: 'string' }, out: { type: 'string' }, 'base-path': { type: 'string' }, 'if-stale': { type: 'boolean' } },
    run: async (values) => {
      const root = str(values.root) === undefined ? undefined : contractRoot(str(values.root));
      const out = str(values.out) ?? (installed ? docsCache() : undefined);
      const args = [
        ...(root ? ['--root', root] : []),
        ...(out ? ['--out', resolve(out)] : []),
        ...(values['base-path'] ? ['--base-path', String(values['base-path'])] : []),
        ...(values['if-stale'] ? ['--if-stale'] : []),
      ];
      const { runDocs } = await import('./docs/cli.js');
      return runDocs(args);
    },
  },
  lint: {
    usage: 'lint [--root FILE|DIR]',
    summary: 'run the Redocly and Spectral gates on the contract (needs @redocly/cli and @stoplight/spectral-cli)',
    options: { root: { type: 'string' } },
    run: async (values) => {
      if (!installed && values.root === undefined) {
        const r = spawnSync('npm', ['run', '--silent', 'lint'], { cwd: repoRoot, stdio: 'inherit' });
        return r.status ?? 1;
      }
      return lint(contractRoot(str(values.root)));
    },
  },
  bundle: {
    usage: 'bundle [--root FILE|DIR] [--out DIR]',
    summary: 'bundle the contract into openapi.json and openapi.yaml (default: generated/)',
    options: { root: { type: 'string' }, out: { type: 'string' } },
    run: async (values) => {
      const { document } = await bundleContract(contractRoot(str(values.root)));
      readModel(document); // refuse to write a bundle whose x-traceloom data is broken
      const out = resolve(str(values.out) ?? join(workDir(), 'generated'));
      for (const file of await writeBundle(document, out)) console.log(`wrote ${file}`);
      return 0;
    },
  },
  generate: {
    usage: 'generate [--root FILE|DIR] [--out DIR] [--check]',
    summary: 'bundle, then write types.ts, server.ts, limits.ts and sdk.ts (--check: exit 1 when they are stale)',
    options: { root: { type: 'string' }, out: { type: 'string' }, check: { type: 'boolean' } },
    run: async (values) => {
      const { generate } = await import('./codegen/index.js');
      const check = values.check === true;
      const outDir = resolve(str(values.out) ?? join(workDir(), 'generated'));
      const { written, stale } = await generate({ check, root: contractRoot(str(values.root)), outDir });
      for (const f of check ? stale : written) console.log(`${check ? 'stale' : 'wrote'} ${f}`);
      return check && stale.length > 0 ? 1 : 0;
    },
  },
  serve: {
    usage: 'serve [--port 4020] [--host 127.0.0.1] [--handlers FILE] [--root FILE|DIR] [--mocks DIR] [--redis URL | --redis-cluster HOST:PORT,…]',
    summary: 'serve the server stubs: handlers from FILE (export `handlers`), keys from the fixtures; operations without a handler answer 501',
    options: {
      port: { type: 'string' },
      handlers: { type: 'string' },
      redis: { type: 'string' },
      'redis-cluster': { type: 'string' },
      host: { type: 'string' },
      root: { type: 'string' },
      mocks: { type: 'string' },
    },
    run: async (values) => {
      const { createServer } = await import('./server/index.js');
      const { loadFixtures } = await import('./mock/fixture-files.js');
      const { RedisStore, parseClusterNodes } = await import('./policy/redis.js');
      const clusterNodes = str(values['redis-cluster']) ?? process.env.REDIS_CLUSTER_NODES;
      const root = str(values.root);
      const document =
        root === undefined
          ? (JSON.parse(readFileSync(join(repoRoot, 'generated', 'openapi.json'), 'utf8')) as OpenApiDocument)
          : (await bundleContract(contractRoot(root))).document;
      const model = readModel(document);
      const fixtures = await loadFixtures(model, str(values.mocks) === undefined ? undefined : resolve(str(values.mocks)!));
      const handlersFile = str(values.handlers);
      const handlers = handlersFile ? await importHandlers(handlersFile) : {};
      const app = createServer({
        handlers: (handlers.handlers ?? handlers.default ?? {}) as never,
        keys: fixtures.tenants.flatMap((t) =>
          t.keys.map((k) => ({ key: k.key, id: k.id, tenantId: t.id, scopes: k.scopes, projectId: k.project_id, revoked: k.revoked })),
        ),
        tenants: fixtures.tenants.map((t) => ({ id: t.id, plan: t.plan, projects: t.projects })),
        store: clusterNodes
          ? new RedisStore({ cluster: parseClusterNodes(clusterNodes) })
          : values.redis
            ? new RedisStore({ url: String(values.redis) })
            : undefined,
        document,
        model,
      });
      const port = Number(values.port ?? 4020);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${values.port}: expected a port number`);
      const host = str(values.host) ?? '127.0.0.1';
      const server = app.listen(port, host, () => {
        const address = server.address();
        const actual = typeof address === 'object' && address ? address.port : port;
        console.log(`Traceloom server stubs on http://${host}:${actual}/v1 (handlers: ${handlersFile ?? 'none — every operation answers 501'})`);
      });
      await new Promise<void>((r) => {
        process.once('SIGINT', r);
        process.once('SIGTERM', r);
      });
      await new Promise((r) => server.close(r));
      return 0;
    },
  },
  diff: {
    usage: 'diff [BASE] [HEAD]',
    summary:
      'breaking changes between two contracts — a git ref (default HEAD), a root .yaml or a bundled .json; HEAD defaults to the contract as it is now; exits 1 on breaking changes',
    options: {},
    positionals: true,
    run: async (_values, positionals) => {
      if (positionals.length > 2) throw new UsageError(`expected at most two contracts (BASE, HEAD), got ${positionals.length}`);
      const [base = 'HEAD', head] = positionals;
      const a = await contractAt(base);
      const b = head ? await contractAt(head) : (await bundleContract(defaultRoot)).document;
      const { text, breaking } = formatChanges(diffContracts(a, b));
      console.log(text);
      return breaking > 0 ? 1 : 0;
    },
  },
};

/** Imports a `--handlers` module; a TypeScript file on a Node without type stripping gets advice. */
async function importHandlers(file: string): Promise<{ handlers?: object; default?: object }> {
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`--handlers ${file}: no such file`);
  try {
    return (await import(pathToFileURL(path).href)) as { handlers?: object; default?: object };
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new UsageError(
        `--handlers ${file}: this Node cannot load TypeScript; compile it to .js, or run through a loader: \`node --import tsx node_modules/traceloom/bin/traceloom.mjs serve --handlers ${file}\``,
      );
    }
    throw err;
  }
}

/** The bin of a lint tool, from the current project first, then from wherever this package can see. */
function toolBin(name: string, bin: string): string | null {
  for (const from of [join(process.cwd(), 'package.json'), import.meta.url]) {
    try {
      const require = createRequire(from);
      const pkgFile = require.resolve(`${name}/package.json`);
      const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { bin?: string | Record<string, string> };
      const rel = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.[bin];
      if (rel) return join(pkgFile, '..', rel);
    } catch {
      // not installed there; try the next place
    }
  }
  return null;
}

/**
 * The lint gates on any contract, with the package's own redocly.yaml and .spectral.yaml. The
 * linters are development tools of the package (tens of MB), not dependencies: an app that wants
 * the gates installs them itself, and this says exactly what to install.
 */
async function lint(root: string): Promise<number> {
  const redocly = toolBin('@redocly/cli', 'redocly');
  const spectral = toolBin('@stoplight/spectral-cli', 'spectral');
  if (!redocly || !spectral) {
    const dev = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> }).devDependencies ?? {};
    const names = ['@redocly/cli', '@stoplight/spectral-cli', '@stoplight/spectral-owasp-ruleset', '@stoplight/spectral-functions'];
    const install = names.map((n) => `${n}@${dev[n] ?? 'latest'}`).join(' ');
    console.error(
      `traceloom lint: the lint gates need ${names.join(', ')}, which are not installed (they are development tools, so the package does not install them for every user).\nInstall them in this project, then run it again:\n  npm i -D ${install}`,
    );
    return 1;
  }
  const run = (bin: string, args: string[]) =>
    spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit', env: { ...process.env, REDOCLY_TELEMETRY: 'off' } }).status ?? 1;
  const a = run(redocly, ['lint', root, '--config', join(repoRoot, 'redocly.yaml'), '--format=stylish', '--max-problems=200']);
  const b = run(spectral, ['lint', root, '--ruleset', join(repoRoot, '.spectral.yaml'), '--fail-severity=hint', '--display-only-failures']);
  return a === 0 && b === 0 ? 0 : 1;
}

/** A contract from a bundled .json, a root .yaml, or openapi/ at a git ref. */
async function contractAt(source: string): Promise<OpenApiDocument> {
  if (existsSync(source) && source.endsWith('.json')) return JSON.parse(readFileSync(source, 'utf8')) as OpenApiDocument;
  if (existsSync(source)) return (await bundleContract(source)).document;
  const dir = mkdtempSync(join(tmpdir(), 'traceloom-diff-'));
  try {
    const tar = execFileSync('git', ['archive', source, 'openapi'], { cwd: workDir(), maxBuffer: 64 * 1024 * 1024 });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    return (await bundleContract(join(dir, 'openapi', 'openapi.yaml'))).document;
  } catch (err) {
    throw new UsageError(`cannot read the contract at \`${source}\`: not a file and not a git ref with openapi/ (${(err as Error).message.split('\n')[0]})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The flags of `mock` and `start`. */
const MOCK_FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  root: { type: 'string' },
  mocks: { type: 'string' },
  docs: { type: 'string' },
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
} as const;
commands.mock!.options = MOCK_FLAGS;
commands.start!.options = MOCK_FLAGS;

/**
 * Parses the mock's flags (DESIGN §9) into {@link MockOptions}. `--root` and `--mocks` point at
 * another contract and fixtures folder (default: the ones in this package); `--docs` at built docs
 * (default: the shipped docs for the shipped contract, `.traceloom/docs` for any other).
 */
export function mockOptions(args: string[]): MockOptions {
  const { values } = parseArgs({ args, options: MOCK_FLAGS, strict: true });
  const port = values.port === undefined ? 4010 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${values.port}: expected a port number`);
  if (values.limits !== undefined && values.limits !== 'dev' && values.limits !== 'contract')
    throw new UsageError(`--limits ${values.limits}: expected dev or contract`);
  let latencyMs: [number, number] | undefined;
  if (values.latency !== undefined) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(values.latency);
    if (!m) throw new UsageError(`--latency ${values.latency}: expected MS or MIN-MAX, e.g. 50-200`);
    latencyMs = [Number(m[1]), Number(m[2] ?? m[1])];
  }
  const chaos = values.chaos === undefined ? undefined : Number(values.chaos);
  if (chaos !== undefined && !(chaos >= 0 && chaos <= 1)) throw new UsageError(`--chaos ${values.chaos}: expected a share from 0 to 1, e.g. 0.05`);
  const root = contractRoot(values.root);
  if (values.mocks !== undefined && !existsSync(resolve(values.mocks)))
    throw new UsageError(`--mocks ${values.mocks}: no such folder; give the folder holding tenants.yaml and limits.dev.yaml`);
  return {
    port,
    host: values.host,
    root,
    mocksDir: values.mocks === undefined ? undefined : resolve(values.mocks),
    docsDir: values.docs === undefined ? docsDirFor(root) : resolve(values.docs),
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
  if (buildDocs) await ensureDocs(options.root ?? defaultRoot, options.docsDir ?? shippedDocs);
  const { createMock } = await import('./mock/index.js');
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

/**
 * Builds the docs for `root` into `outDir` when they are missing or older than the contract (or
 * were built from another contract: `.root` in the folder names the one they show). The docs
 * shipped in an installed package are used as they are: nothing is written into node_modules.
 */
async function ensureDocs(root: string, outDir: string): Promise<void> {
  const stamp = join(outDir, '.root');
  const shipped = installed && resolve(outDir) === shippedDocs;
  try {
    if (shipped) {
      if (existsSync(join(outDir, 'index.html'))) return;
      throw new Error(`the package has no built docs in ${outDir}; reinstall it, or pass --docs DIR`);
    }
    const builtFrom = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : resolve(root);
    const { buildDocs, docsStale } = await import('./docs/index.js');
    if (builtFrom === resolve(root) && !(await docsStale({ outDir, root }))) return;
    console.log(`traceloom: building docs (${relative(process.cwd(), outDir) || outDir})…`);
    await buildDocs({ outDir, root });
    if (resolve(outDir) !== shippedDocs) writeFileSync(stamp, `${resolve(root)}\n`);
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
  const tenantsFile = mock.fixtures.files.find((f) => f.endsWith('tenants.yaml'));
  const where = tenantsFile ? relative(process.cwd(), tenantsFile) || tenantsFile : 'mocks/tenants.yaml';
  return [
    `Traceloom mock ready in ${Math.round(ms)} ms`,
    `  API          ${mock.url}/v1`,
    `  Console      ${mock.url}/__mock/`,
    `  Docs         ${mock.url}/docs/`,
    `  llms.txt     ${mock.url}/llms.txt`,
    `  Control API  ${mock.url}/__mock/state`,
    `  Test keys (one per plan; more in ${where}):`,
    ...byPlan,
    `  Try: curl -i -H "Authorization: Bearer ${example}" ${mock.url}/v1/usage`,
  ].join('\n');
}

/** `traceloom --help`: every command and its synopsis. */
export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length)) + 2;
  const list = Object.entries(commands).map(([n, c]) => `  ${n.padEnd(width)}${c.summary}`);
  return ['usage: traceloom <command> [flags]   (traceloom <command> --help for its flags)', '', ...list].join('\n');
}

/** `traceloom NAME --help`: the command's synopsis and summary. */
function commandUsage(name: string, command: Command): string {
  return `usage: traceloom ${command.usage}\n\n${command.summary}`;
}

const HELP = new Set(['--help', '-h', 'help']);

/** Runs one CLI command; returns the process exit code (2 for a usage error). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || HELP.has(name)) {
    console.log(usage());
    return 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    console.error(`traceloom: unknown command \`${name}\`\n${usage()}`);
    return 2;
  }
  if (args.some((a) => a === '--help' || a === '-h')) {
    console.log(commandUsage(name, command));
    return 0;
  }
  try {
    const { values, positionals } = parseArgs({ args, options: command.options, allowPositionals: command.positionals === true, strict: true });
    return await command.run(values, positionals, args);
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'([^']+)'/.exec((err as Error).message)?.[1] ?? (err as Error).message;
      console.error(`traceloom ${name}: unknown flag ${flag}\nusage: traceloom ${command.usage}`);
      return 2;
    }
    if (err instanceof UsageError || code.startsWith('ERR_PARSE_ARGS')) {
      console.error(`traceloom ${name}: ${(err as Error).message}\nusage: traceloom ${command.usage}`);
      return 2;
    }
    if (err instanceof ContractError || code === 'ERR_TRACELOOM_TOOL_MISSING') {
      console.error(`traceloom ${name}: ${(err as Error).message}`);
      return 1;
    }
    throw err;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
