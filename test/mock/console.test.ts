/**
 * The mock console at /__mock/ in a real browser (Debian's chromium through playwright-core):
 * its controls change what the API answers, its request log is fed live, and it makes no
 * request anywhere but the mock.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findRedisServer, startRedisServer, type RedisServer } from '../../bench/lib/redis-server.js';
import { repoRoot } from '../../src/contract/index.js';
import { createMock, type MockServer } from '../../src/mock/index.js';
import { CHROMIUM, CHROMIUM_ARGS, requireBinary } from '../support/requires.js';

const FREE = 'tl_test_free_0000000000000000000001';
const PRO = 'tl_test_pro_00000000000000000000000001';
/** Trace ids made by the shared-Redis test (each ingest needs a new one). */
let shared = 0;

describe('the mock console', () => {
  if (!requireBinary(CHROMIUM, 'chromium', 'apt-get install -y chromium')) return;
  let mock: MockServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let foreign: string[];
  let n = 0;

  const api = (path: string, key: string, init: RequestInit = {}) =>
    fetch(`${mock.url}${path}`, { ...init, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', ...(init.headers ?? {}) } });
  const ingest = (key: string) =>
    api('/v1/ingest', key, {
      method: 'POST',
      body: JSON.stringify({ trace_id: `tr_console${String(++n).padStart(8, '0')}`, name: 'console', start_time: '2026-03-03T12:00:00Z', spans: [] }),
    });
  const answer = async (res: Response) => ({ status: res.status, code: res.status >= 400 ? ((await res.json()) as { code: string }).code : null });
  const state = async () => (await fetch(`${mock.url}/__mock/state`)).json() as Promise<any>;

  beforeAll(async () => {
    mock = await createMock({ port: 0, log: false });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await mock?.close();
  });

  beforeEach(async () => {
    await fetch(`${mock.url}/__mock/reset`, { method: 'POST' });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    errors = [];
    foreign = [];
    const local = new URL(mock.url).host;
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith('data:') && new URL(r.url()).host !== local) foreign.push(r.url());
    });
    await page.goto(`${mock.url}/__mock/`);
    await page.getByRole('combobox', { name: 'Plan for ten_freeco', exact: true }).waitFor();
    await expect.poll(() => page.locator('#live').textContent()).toBe('live');
  });
  afterEach(async () => {
    expect(errors, 'console errors').toEqual([]);
    expect(foreign, 'requests that left the mock').toEqual([]);
    await page.close();
  });

  it('archives a project with one click, and ingest with its key then answers 403 project_archived', async () => {
    expect(await answer(await ingest(PRO))).toEqual({ status: 202, code: null });
    await page.getByRole('button', { name: 'Archive prj_promain', exact: true }).click();
    await page.getByRole('button', { name: 'Unarchive prj_promain', exact: true }).waitFor();
    expect(await answer(await ingest(PRO))).toEqual({ status: 403, code: 'project_archived' });
  });

  it("opens the team-only audit log to the Free key when ten_freeco's plan is set to team", async () => {
    expect(await answer(await api('/v1/audit/events', FREE))).toEqual({ status: 402, code: 'plan_upgrade_required' });
    await page.getByRole('combobox', { name: 'Plan for ten_freeco', exact: true }).selectOption('team');
    await expect.poll(async () => (await state()).tenants.find((t: any) => t.id === 'ten_freeco').plan).toBe('team');
    expect((await answer(await api('/v1/audit/events', FREE))).status).toBe(200);
  });

  it("exhausts ten_freeco's traces so its next ingest answers 402 quota_exceeded", async () => {
    const quota = mock.model.plans.find((p) => p.id === 'free')!.quotas.traces!;
    await page.getByRole('button', { name: 'Exhaust traces for ten_freeco', exact: true }).click();
    const card = page.locator('[data-tenant="ten_freeco"]');
    await expect.poll(() => card.getByRole('meter', { name: 'traces used by ten_freeco' }).getAttribute('aria-valuenow')).toBe(String(quota));
    expect(await answer(await ingest(FREE))).toEqual({ status: 402, code: 'quota_exceeded' });
  });

  it('shows a request made outside the page in its log within two seconds, with status and code', async () => {
    const res = await api('/v1/audit/events', FREE);
    const requestId = res.headers.get('x-request-id')!;
    const started = Date.now();
    const entry = page.getByRole('log').locator('.entry', { hasText: '/v1/audit/events' }).first();
    await entry.waitFor({ timeout: 2_000 });
    const shownAfterMs = Date.now() - started;
    const text = (await entry.textContent()) ?? '';
    expect(text).toContain('402');
    expect(text).toContain('plan_upgrade_required');
    expect(text).toContain('ten_freeco');
    expect(text).toContain('GET');
    expect(shownAfterMs).toBeLessThan(2_000);
    // The filter narrows the log to what matches.
    await page.getByRole('searchbox', { name: 'Filter requests' }).fill(requestId.toLowerCase());
    await expect.poll(() => page.getByRole('log').locator('.entry').count()).toBe(1);
    await page.getByRole('searchbox', { name: 'Filter requests' }).fill('no-such-thing');
    await expect.poll(() => page.getByRole('log').locator('.entry').count()).toBe(0);
  });

  it('advances and freezes the mock clock, and Next month starts a new quota month', async () => {
    const before = Date.parse((await state()).clock);
    await page.getByRole('button', { name: 'Advance 1 hour', exact: true }).click();
    await expect.poll(async () => Date.parse((await state()).clock) - before).toBeGreaterThanOrEqual(3600_000);
    await page.getByRole('button', { name: 'Advance 1 minute', exact: true }).click();
    await expect.poll(async () => Date.parse((await state()).clock) - before).toBeGreaterThanOrEqual(3660_000);
    await page.getByRole('button', { name: 'Freeze clock', exact: true }).click();
    await expect.poll(async () => (await state()).frozen).toBe(true);
    await expect.poll(() => page.getByRole('button', { name: 'Freeze clock', exact: true }).getAttribute('aria-pressed')).toBe('true');
    await page.getByRole('button', { name: 'Exhaust traces for ten_freeco', exact: true }).click();
    await expect.poll(async () => (await state()).tenants.find((t: any) => t.id === 'ten_freeco').usage.traces).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Next month', exact: true }).click();
    await expect.poll(async () => new Date((await state()).clock).getUTCDate()).toBe(1);
    expect((await state()).tenants.find((t: any) => t.id === 'ten_freeco').usage.traces).toBe(0);
    expect(await answer(await ingest(FREE))).toEqual({ status: 202, code: null });
  });

  it('Reset restores plans, projects, usage and the clock', async () => {
    const fresh = await state();
    await page.getByRole('combobox', { name: 'Plan for ten_freeco', exact: true }).selectOption('team');
    await page.getByRole('button', { name: 'Archive prj_promain', exact: true }).click();
    await page.getByRole('button', { name: 'Exhaust traces for ten_freeco', exact: true }).click();
    await page.getByRole('button', { name: 'Advance 1 hour', exact: true }).click();
    await expect.poll(async () => JSON.stringify(summary(await state()))).not.toBe(JSON.stringify(summary(fresh)));
    await page.getByRole('button', { name: 'Reset', exact: true }).click();
    await expect.poll(async () => JSON.stringify(summary(await state()))).toBe(JSON.stringify(summary(fresh)));
    await page.getByRole('button', { name: 'Archive prj_promain', exact: true }).waitFor();
    expect(await answer(await ingest(PRO))).toEqual({ status: 202, code: null });
    expect(Math.abs(Date.parse((await state()).clock) - Date.now())).toBeLessThan(60_000);
  });

  it('renders every tenant, key and project of the state, and saves a screenshot', async () => {
    const s = await state();
    for (const t of s.tenants) {
      await page.getByRole('combobox', { name: `Plan for ${t.id}`, exact: true }).waitFor();
      for (const k of t.keys) await page.getByRole('button', { name: `Copy key ${k.id}`, exact: true }).waitFor();
      for (const p of t.projects)
        await page.getByRole('button', { name: `${p.status === 'archived' ? 'Unarchive' : 'Archive'} ${p.id}`, exact: true }).waitFor();
    }
    await ingest(FREE);
    await api('/v1/audit/events', FREE);
    await api('/v1/usage', PRO);
    await expect.poll(() => page.getByRole('log').locator('.entry').count()).toBeGreaterThanOrEqual(3);
    await mkdir(join(repoRoot, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(repoRoot, 'test-results', 'console.png'), fullPage: true });
  });
});

/** What Reset must restore: plans, project statuses, usage (the clock is checked separately). */
function summary(s: any) {
  return s.tenants.map((t: any) => ({ id: t.id, plan: t.plan, projects: t.projects, usage: t.usage }));
}

describe('the mock console with the control API off', () => {
  it('is not served, and neither is its event stream', async () => {
    const mock = await createMock({ port: 0, log: false, control: false });
    try {
      expect((await fetch(`${mock.url}/__mock/`)).status).toBe(404);
      expect((await fetch(`${mock.url}/__mock/events`)).status).toBe(404);
    } finally {
      await mock.close();
    }
  });
});

describe('the mock console of one of two instances sharing Redis', () => {
  if (!requireBinary(CHROMIUM, 'chromium', 'apt-get install -y chromium')) return;
  if (!requireBinary(findRedisServer(), 'redis-server', 'apt-get install -y redis-server')) return;
  let redis: RedisServer;
  let a: MockServer;
  let b: MockServer;
  let browser: Browser;
  beforeAll(async () => {
    redis = await startRedisServer();
    const options = { port: 0, log: false as const, redisUrl: redis.url };
    [a, b] = await Promise.all([createMock(options), createMock(options)]);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await a?.close();
    await b?.close();
    await redis?.dispose();
  });

  it("shows the shared state, logs only its own instance's traffic, and its controls reach the other instance", async () => {
    await fetch(`${a.url}/__mock/reset`, { method: 'POST' });
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    try {
      await page.goto(`${a.url}/__mock/`);
      await expect.poll(() => page.locator('#live').textContent()).toBe('live');
      const auth = { Authorization: `Bearer ${FREE}`, 'Content-Type': 'application/json' };
      // Usage recorded through B shows on A's page (the state is shared) ...
      const viaB = await fetch(`${b.url}/v1/ingest`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ trace_id: 'tr_sharedconsole0001', name: 'b', start_time: '2026-03-03T12:00:00Z', spans: [] }),
      });
      expect(viaB.status).toBe(202);
      const meter = page.locator('[data-tenant="ten_freeco"]').getByRole('meter', { name: 'traces used by ten_freeco' });
      await expect.poll(() => meter.getAttribute('aria-valuenow'), { timeout: 10_000 }).toBe('1');
      // ... but A's log holds A's requests only.
      expect((await fetch(`${a.url}/v1/audit/events`, { headers: auth })).status).toBe(402);
      await page.getByRole('log').locator('.entry', { hasText: '/v1/audit/events' }).first().waitFor({ timeout: 2_000 });
      expect(await page.getByRole('log').locator('.entry', { hasText: '/v1/ingest' }).count()).toBe(0);
      // A control clicked on A's page changes what B answers.
      await page.getByRole('button', { name: 'Archive prj_promain', exact: true }).click();
      await expect
        .poll(
          async () =>
            (
              await fetch(`${b.url}/v1/ingest`, {
                method: 'POST',
                headers: { ...auth, Authorization: `Bearer ${PRO}` },
                body: JSON.stringify({
                  trace_id: `tr_sharedconsole${String(++shared).padStart(4, '0')}`,
                  name: 'b',
                  start_time: '2026-03-03T12:00:00Z',
                  spans: [],
                }),
              })
            ).status,
          { timeout: 5_000 },
        )
        .toBe(403);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await fetch(`${a.url}/__mock/reset`, { method: 'POST' });
    }
  }, 60_000);
});
