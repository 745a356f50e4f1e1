/**
 * The rendered reference in a real browser (Debian's chromium through playwright-core, no
 * browser download), served by serveDocs on loopback the way the mock serves it.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContract, repoRoot, type LoadedContract } from '../../src/contract/index.js';
import { buildDocs } from '../../src/docs/index.js';
import { CHROMIUM, CHROMIUM_ARGS, requireBinary } from '../support/requires.js';
import { editedContract, removeAll, startDocsServer, tempDir, type DocsServer } from './helpers.js';

const MENU = '[data-component-name="Menu/MenuItem"]';
// Tests that open many pages get 60 s: the browser is slower when the whole suite shares two cores.

/** Redoc's route slug of a tag name (lower case, spaces to dashes), as its sidebar links show. */
const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/&/g, 'and')
    .replace(/[^a-z0-9_\s-]/g, '')
    .trim()
    .replace(/[\s-]+/g, '-');
const digits = (text: string) => text.replace(/(\d),(?=\d{3})/g, '$1');

/** The `type` of the contract's first example problem with this code. */
function problemType(document: any, code: string): string | null {
  for (const response of Object.values<any>(document.components?.responses ?? {})) {
    for (const media of Object.values<any>(response?.content ?? {})) {
      for (const ex of Object.values<any>(media?.examples ?? {})) if (ex?.value?.code === code) return ex.value.type;
    }
  }
  return null;
}

/** A page that records every request and every console error, for the offline checks. */
interface Visit {
  page: Page;
  foreign: string[];
  errors: string[];
}

describe('the rendered reference', () => {
  if (!requireBinary(CHROMIUM, 'chromium', 'apt-get install -y chromium')) return;

  let contract: LoadedContract;
  let out: string;
  let edited: { dir: string; root: string };
  let editedOut: string;
  let server: DocsServer;
  let browser: Browser;
  const changed = { rpm: 0, traces: 0 };

  beforeAll(async () => {
    contract = await loadContract();
    [out, editedOut] = await Promise.all([tempDir(), tempDir()]);
    // A copy of the contract whose cheapest plan has other numbers.
    edited = await editedContract((data) => {
      const plan = data.plans[0];
      plan.rate_limit.requests_per_minute += 17;
      plan.quotas.traces = plan.quotas.traces * 3 + 7;
      changed.rpm = plan.rate_limit.requests_per_minute;
      changed.traces = plan.quotas.traces;
    });
    await buildDocs({ outDir: out });
    await buildDocs({ outDir: editedOut, root: edited.root });
    server = await startDocsServer(out);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await removeAll(out, editedOut, edited?.dir);
  });

  /** Opens `url` once React has hydrated the reference, recording console errors and every request `isForeign` calls foreign. */
  async function open(url: string, isForeign: (requested: string) => boolean): Promise<Visit> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const v: Visit = { page, foreign: [], errors: [] };
    page.on('request', (r) => {
      if (isForeign(r.url())) v.foreign.push(r.url());
    });
    page.on('console', (m) => {
      if (m.type() === 'error') v.errors.push(m.text());
    });
    page.on('pageerror', (e) => v.errors.push(e.message));
    await page.goto(url);
    // Hydrated: React has attached its props to the sidebar's links.
    await page.waitForFunction(
      (sel) => {
        const a = document.querySelector(`${sel} a`);
        return a !== null && Object.keys(a).some((k) => k.startsWith('__reactProps'));
      },
      MENU,
      { timeout: 20_000 },
    );
    return v;
  }

  /** Clicks `group` until `entry` is visible: at most three clicks, each given 10 s to render. */
  async function openUntilShown(group: Locator, entry: Locator, what: string): Promise<void> {
    for (let click = 0; click < 3; click++) {
      if (await entry.isVisible()) return;
      await group.click({ timeout: 10_000 });
      if (
        await entry.waitFor({ state: 'visible', timeout: 10_000 }).then(
          () => true,
          () => false,
        )
      )
        return;
    }
    throw new Error(`${what}: its first entry never showed after three clicks`);
  }

  /** A page served over HTTP: every load must stay on the docs server's host. */
  function visit(path: string): Promise<Visit> {
    const local = new URL(server.origin).host;
    return open(`${server.origin}${path}`, (url) => !url.startsWith('data:') && new URL(url.startsWith('blob:') ? url.slice(5) : url).host !== local);
  }

  async function done(v: Visit): Promise<void> {
    await v.page.waitForLoadState('networkidle');
    expect(v.foreign, 'requests that left 127.0.0.1').toEqual([]);
    expect(v.errors, 'console errors').toEqual([]);
    await v.page.close();
  }

  it('renders without console errors and without a single request leaving 127.0.0.1', async () => {
    const v = await visit('/docs/');
    expect(await v.page.title()).toBe(contract.model.title);
    await expect.poll(() => v.page.locator('h1').first().textContent()).toContain(contract.model.title);
    await mkdir(join(repoRoot, 'test-results'), { recursive: true });
    await v.page.waitForLoadState('networkidle');
    await v.page.screenshot({ path: join(repoRoot, 'test-results', 'docs.png') });
    await done(v);
  });

  it('lists every guide, every tag and every operation in the navigation', async () => {
    const v = await visit('/docs/');
    const bundle = JSON.parse(await readFile(join(out, 'openapi.json'), 'utf8'));
    const names: string[] = bundle.tags.map((t: any) => t.name);
    expect(names.length).toBe(6 + contract.document.tags.length);
    const items = new Map<string, string>();
    const collect = async () => {
      const seen = await v.page.$$eval(`${MENU} a`, (as) => as.map((a) => [a.getAttribute('href') ?? '', a.textContent ?? ''] as const));
      for (const [href, text] of seen) items.set(href, text);
    };
    for (const name of names) {
      const link = v.page.locator(`${MENU} a[href="/docs/${slug(name)}"]`);
      expect((await link.textContent({ timeout: 2_000 }))?.trim(), name).toBe(name);
    }
    // Every link the guides make inside the reference goes to a page of its navigation.
    const targets: string[] = bundle.tags
      .filter((t: any) => t['x-traceloom-guide'])
      .flatMap((t: any) => [...String(t.description).matchAll(/\]\((\/docs\/[^)#\s]*)\)/g)].map((m) => m[1]!));
    expect(targets.length).toBeGreaterThan(contract.model.operations.length);
    const opHref = (op: (typeof contract.model.operations)[number]) => `/docs/${slug(op.tag)}/${op.operationId.toLowerCase()}`;
    // Operations (and guide sections) show under their tag once it is opened: wait (bounded) for
    // the entries expected there, not for a fixed time, so a slow render is waited for. A click on a
    // tag toggles it, and Redoc also opens the tag it has scrolled to on its own (after the previous
    // click's scroll, often this one): so the click is made only while the entry is not shown.
    for (const tag of names) {
      const prefix = `/docs/${slug(tag)}/`;
      const expected = [...contract.model.operations.map(opHref), ...targets].filter((h) => h.startsWith(prefix));
      const tagLink = v.page.locator(`${MENU} a[href="/docs/${slug(tag)}"]`);
      if (expected.length === 0) await tagLink.click({ timeout: 10_000 });
      else await openUntilShown(tagLink, v.page.locator(`${MENU} a[href="${expected[0]}"]`), tag);
      await collect();
    }
    for (const op of contract.model.operations) {
      expect(items.get(opHref(op)), `${op.operationId} in the sidebar`).toContain(op.summary);
    }
    for (const target of new Set<string>(targets)) expect(items.has(target), `guide link ${target}`).toBe(true);
    await done(v);
  }, 120_000);

  /** The plans table, as text cells by row label. */
  async function plansTable(page: Page): Promise<Map<string, string[]>> {
    const table = page.locator('[id="rate-limits-and-plans/plans"] table').first();
    await table.waitFor({ timeout: 10_000 });
    const rows: string[][] = await table
      .locator('tr')
      .evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('th, td')).map((c) => (c.textContent ?? '').trim())));
    return new Map(rows.map((r) => [r[0]!, r.slice(1).map(digits)]));
  }

  it("shows the contract's plan numbers in the plans table", async () => {
    const v = await visit('/docs/rate-limits-and-plans/plans');
    const rows = await plansTable(v.page);
    const plans = contract.model.plans;
    expect(rows.get('')).toEqual(plans.map((p) => p.name));
    expect(rows.get('Requests per minute')).toEqual(plans.map((p) => String(p.requestsPerMinute)));
    expect(rows.get('Monthly traces')).toEqual(plans.map((p) => (p.quotas.traces === null ? 'unlimited' : String(p.quotas.traces))));
    expect(rows.get('Data retention')).toEqual(plans.map((p) => (p.retentionDays === null ? 'unlimited' : `${p.retentionDays} days`)));
    await done(v);
  });

  it('shows other numbers when the contract changes', async () => {
    server.dir = editedOut;
    try {
      const v = await visit('/docs/rate-limits-and-plans/plans');
      const rows = await plansTable(v.page);
      expect(rows.get('Requests per minute')![0]).toBe(String(changed.rpm));
      expect(rows.get('Monthly traces')![0]).toBe(String(changed.traces));
      expect(changed.rpm).not.toBe(contract.model.plans[0]!.requestsPerMinute);
      await done(v);
    } finally {
      server.dir = out;
    }
  });

  /** A page opened from disk: only file: and data: loads are allowed. */
  function visitFile(hash = ''): Promise<Visit> {
    return open(`${pathToFileURL(join(out, 'index.html')).href}${hash}`, (url) => !/^(file|data|blob):/.test(url));
  }

  it('opens from disk (file://) with the hash router: the reference, not a 404, and its navigation works', async () => {
    const v = await visitFile();
    await expect.poll(() => v.page.locator('h1').first().textContent()).toContain(contract.model.title);
    expect(await v.page.locator('body').innerText()).not.toContain('No page at this address');
    const errorsLink = v.page.locator(`${MENU} a[href="#/errors"]`);
    expect((await errorsLink.textContent())?.trim()).toBe('Errors');
    // The guides' own links (written for /docs) point into the page too.
    await expect.poll(() => v.page.locator('#redoc a[href^="/docs"]').count()).toBe(0);
    await v.page.waitForLoadState('networkidle');
    await mkdir(join(repoRoot, 'test-results'), { recursive: true });
    await v.page.screenshot({ path: join(repoRoot, 'test-results', 'docs-file.png') });
    await errorsLink.click();
    await expect.poll(() => new URL(v.page.url()).hash).toBe('#/errors');
    expect(v.foreign, 'requests that were not file: or data:').toEqual([]);
    expect(v.errors, 'console errors').toEqual([]);
    await v.page.close();
  }, 60_000);

  it("takes index.html#<code> from disk to that code's section", async () => {
    const code = 'rate_limited';
    const v = await visitFile(`#${code}`);
    const section = v.page.locator(`[id="errors/${code}"]`).first();
    await section.waitFor({ timeout: 10_000 });
    await expect.poll(async () => (await section.boundingBox())?.y ?? -1).toBeLessThan(120);
    expect((await section.textContent()) ?? '').toContain(contract.model.errors[code]!.title);
    expect(new URL(v.page.url()).hash).toBe(`#/errors/${code}`);
    expect(v.errors, 'console errors').toEqual([]);
    await v.page.close();
  }, 60_000);

  it('works hosted at another base path: routes, sidebar links and type URIs follow the base it is served at', async () => {
    const other = await startDocsServer(out, '/team/api-docs');
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      const op = contract.model.operations[0]!;
      await page.goto(`${other.origin}/team/api-docs/${slug(op.tag)}/${op.operationId.toLowerCase()}`);
      await page.locator(`${MENU} a[href="/team/api-docs/errors"]`).waitFor({ timeout: 20_000 });
      expect(await page.locator('body').innerText()).not.toContain('No page at this address');
      await expect.poll(() => page.locator('#redoc a[href^="/docs/"]').count()).toBe(0);
      await page.goto(`${other.origin}/team/api-docs/errors#rate_limited`);
      await page.locator('[id="errors/rate_limited"]').first().waitFor({ timeout: 10_000 });
      expect(new URL(page.url()).pathname).toBe('/team/api-docs/errors/rate_limited');
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await other.close();
    }
  }, 60_000);

  it("takes a problem's type URI to that code's section", async () => {
    const codes = Object.keys(contract.model.errors);
    const base = contract.model.docsBaseUrl.replace(/\/+$/, '');
    for (const code of [codes[0]!, codes[Math.floor(codes.length / 2)]!, codes[codes.length - 1]!]) {
      const def = contract.model.errors[code]!;
      // The URI a client finds in a problem body (the contract's example, else the registry's rule),
      // with the docs host mapped to this server's /docs.
      const type = problemType(contract.document, code) ?? `${base}/errors#${code}`;
      expect(type.startsWith(`${base}/`)).toBe(true);
      const v = await visit(`/docs${type.slice(base.length)}`);
      // Redoc gives the section and its heading the same id; the section is the first.
      const section = v.page.locator(`[id="errors/${code}"]`).first();
      await section.waitFor({ timeout: 10_000 });
      await expect.poll(async () => (await section.boundingBox())?.y ?? -1, { message: `${code} scrolled to the top` }).toBeLessThan(120);
      expect((await section.boundingBox())!.y).toBeGreaterThanOrEqual(-2);
      const text = (await section.textContent()) ?? '';
      expect(text).toContain(def.title);
      expect(text).toContain(String(def.status));
      expect(new URL(v.page.url()).pathname).toBe(`/docs/errors/${code}`);
      await done(v);
    }
  }, 60_000);
});
