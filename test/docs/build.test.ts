import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContract, type LoadedContract } from '../../src/contract/index.js';
import { buildDocs } from '../../src/docs/index.js';
import { removeAll, startDocsServer, tempDir, type DocsServer } from './helpers.js';

/** `1,000,000` → `1000000` so numbers compare however they are grouped. */
const digits = (text: string) => text.replace(/(\d),(?=\d{3})/g, '$1');

describe('buildDocs', () => {
  let contract: LoadedContract;
  let out: string;
  let again: string;
  let files: string[];
  let server: DocsServer;
  const read = (name: string, dir = out) => readFile(join(dir, name), 'utf8');

  beforeAll(async () => {
    contract = await loadContract();
    [out, again] = await Promise.all([tempDir(), tempDir()]);
    // Two builds of the same contract, for the determinism check; sequential, as `npm run docs` would run.
    files = (await buildDocs({ outDir: out })).files;
    await buildDocs({ outDir: again });
    server = await startDocsServer(out);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await removeAll(out, again);
  });

  it('writes the reference, the guide-injected bundle, llms.txt, llms-full.txt and a page per guide and per operation', () => {
    const rel = files.map((f) => relative(out, f));
    expect(rel).toEqual(expect.arrayContaining(['index.html', 'openapi.json', 'llms.txt', 'llms-full.txt']));
    for (const op of contract.model.operations) expect(rel).toContain(`operations/${op.operationId}.md`);
    expect(rel.filter((f) => f.startsWith('guides/')).sort()).toEqual(
      ['authentication', 'errors', 'mock', 'rate-limits', 'retries', 'versioning'].map((s) => `guides/${s}.md`),
    );
  });

  describe('llms.txt', () => {
    let text: string;
    let links: { section: string; name: string; url: string }[];
    beforeAll(async () => {
      text = await read('llms.txt');
      links = [];
      let section = '';
      for (const line of text.split('\n')) {
        if (line.startsWith('## ')) section = line.slice(3);
        const m = /^- \[([^\]]+)\]\(([^)\s]+)\)(?:: .+)?$/.exec(line);
        if (m) links.push({ section, name: m[1]!, url: m[2]! });
      }
    });

    it('follows llmstxt.org: H1, blockquote, paragraphs, H2 sections of link lists, Optional last', () => {
      const blocks = text.trimEnd().split(/\n\n+/);
      expect(blocks[0]).toMatch(/^# \S.*$/);
      expect(blocks[0]).toBe(`# ${contract.model.title}`);
      expect(blocks[1]).toMatch(/^> \S.*$/);
      const firstSection = blocks.findIndex((b) => b.startsWith('## '));
      expect(firstSection).toBeGreaterThan(1);
      // Between the summary and the first section: plain paragraphs, no headings, no lists.
      for (const b of blocks.slice(2, firstSection)) expect(b).not.toMatch(/^(#|- |> )/m);
      // From there on: alternating `## Name` and a list whose every line is `- [name](url): notes`.
      const rest = blocks.slice(firstSection);
      for (let i = 0; i < rest.length; i += 2) {
        expect(rest[i]).toMatch(/^## \S.*$/);
        expect(rest[i + 1]?.split('\n').every((l) => /^- \[[^\]]+\]\([^)\s]+\)(: \S.*)?$/.test(l))).toBe(true);
      }
      expect(text.match(/^# /gm)).toHaveLength(1);
      expect(text.match(/^#{3,} /gm)).toBeNull();
      expect(rest[rest.length - 2]).toBe('## Optional');
    });

    it('lists every operation and every guide exactly once', () => {
      const urls = links.map((l) => l.url);
      for (const op of contract.model.operations) {
        expect(urls.filter((u) => u.endsWith(`/operations/${op.operationId}.md`))).toHaveLength(1);
      }
      const guides = links.filter((l) => l.section === 'Guides');
      expect(guides.map((g) => g.url).sort()).toEqual(
        files
          .filter((f) => f.includes('/guides/'))
          .map((f) => `/docs/${relative(out, f)}`)
          .sort(),
      );
      expect(new Set(urls).size).toBe(urls.length);
    });

    it('groups operations under their tag', () => {
      for (const op of contract.model.operations) {
        expect(links.find((l) => l.url.endsWith(`/${op.operationId}.md`))?.section).toBe(op.tag);
      }
    });

    it('links only to files the docs server serves', async () => {
      for (const { url } of links) {
        const res = await fetch(new URL(url, server.origin));
        expect(res.status, url).toBe(200);
        const type = res.headers.get('content-type') ?? '';
        if (url.endsWith('.md')) expect(type).toMatch(/^text\/markdown/);
        if (url.endsWith('.txt')) expect(type).toMatch(/^text\/plain/);
        if (url.endsWith('/')) expect(type).toMatch(/^text\/html/);
        await res.arrayBuffer();
      }
    });
  });

  it('puts every guide and every operationId into llms-full.txt', async () => {
    const full = await read('llms-full.txt');
    for (const op of contract.model.operations) expect(full).toContain(`operationId \`${op.operationId}\``);
    for (const title of ['Authentication', 'Rate limits and plans', 'Errors', 'Retries and backoff', 'Versioning and deprecation', 'Using the mock']) {
      expect(full).toContain(`\n## ${title}\n`);
    }
    expect(full.match(/^# /gm)).toHaveLength(1);
  });

  it('gives every registry code its own section in the Errors guide, with status, retry advice and an example body', async () => {
    const md = await read('guides/errors.md');
    const bundle = JSON.parse(await read('openapi.json'));
    const tag = bundle.tags.find((t: any) => t['x-traceloom-guide'] === 'errors');
    expect(tag.name).toBe('Errors');
    for (const e of Object.values(contract.model.errors)) {
      for (const doc of [md, tag.description as string]) {
        const start = doc.indexOf(`\n## ${e.code}\n`);
        expect(start, e.code).toBeGreaterThan(0);
        const section = doc.slice(start, doc.indexOf('\n## ', start + 1) >>> 0 || undefined);
        expect(section).toContain(`| ${e.status} | ${e.title} | ${e.retryable ? 'Yes' : 'No'}`);
        expect(section).toContain(`"code": "${e.code}"`);
      }
    }
  });

  it("prints the contract's plan numbers in the Rate limits guide", async () => {
    const md = digits(await read('guides/rate-limits.md'));
    const row = (label: string) =>
      md
        .split('\n')
        .find((l) => l.startsWith(`| ${label} |`))
        ?.split(' | ')
        .slice(1)
        .map((c) => c.replace(/ \|$/, ''));
    const plans = contract.model.plans;
    expect(row('Requests per minute')).toEqual(plans.map((p) => String(p.requestsPerMinute)));
    for (const meter of Object.keys(contract.model.meters)) {
      expect(row(`Monthly ${meter.replace(/_/g, ' ')}`)).toEqual(plans.map((p) => (p.quotas[meter] === null ? 'unlimited' : String(p.quotas[meter]))));
    }
    expect(row('Data retention')).toEqual(plans.map((p) => (p.retentionDays === null ? 'unlimited' : `${p.retentionDays} days`)));
  });

  it('announces each burst companion with q = floor(m·L·d/W) in the worked example', async () => {
    const md = await read('guides/rate-limits.md');
    const plan = contract.model.plans[0]!;
    const [name, policy] = Object.entries(contract.model.policies).find(([, p]) => p.burst?.[plan.id])!;
    const b = policy.burst![plan.id]!;
    const q = Math.floor((b.multiplier * policy.limits[plan.id]! * b.seconds) / policy.windowSeconds);
    expect(md).toContain(`"${name}";q=${policy.limits[plan.id]};w=${policy.windowSeconds}, "${name}.burst";q=${q};w=${b.seconds}`);
    expect(md).toContain(`"${name}.burst";r=0;`);
    // And on every plan, in the Bursts table.
    const cells = contract.model.plans.map((p) => {
      const bp = policy.burst![p.id]!;
      return `${Math.floor((bp.multiplier * policy.limits[p.id]! * bp.seconds) / policy.windowSeconds)} per ${bp.seconds} s`;
    });
    expect(digits(md)).toContain(`| \`${name}.burst\` | \`${name}\` | ${cells.join(' | ')} |`);
  });

  it("describes each operation's limits, body size and error codes on its page", async () => {
    for (const op of contract.model.operations) {
      const md = await read(`operations/${op.operationId}.md`);
      expect(md.startsWith(`# ${op.summary}\n`)).toBe(true);
      expect(md).toContain(`\`${op.method} ${op.path}\``);
      for (const policy of op.policies) expect(md).toContain(`\`${policy}\``);
      if (op.policies.length === 0) expect(md).toContain('Not rate-limited');
      for (const code of op.errorCodes) expect(md).toContain(`[${code}](/docs/guides/errors.md#${code})`);
    }
  });

  it('is deterministic: a second build writes the same llms files, Markdown pages and bundle', async () => {
    const walk = async (dir: string): Promise<string[]> =>
      (await readdir(dir, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile() && e.name !== 'index.html')
        .map((e) => relative(dir, join(e.parentPath, e.name)))
        .sort();
    const names = await walk(out);
    expect(await walk(again)).toEqual(names);
    expect(names.length).toBe(contract.model.operations.length + 6 + 3);
    for (const name of names) expect(await read(name, again), name).toBe(await read(name));
  });
});
