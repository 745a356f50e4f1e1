/** A conformance target backed by the mock and its control API. */
import { createMock, type MockOptions } from '../../src/mock/index.js';
import type { Target } from '../conformance/suite.js';

export async function mockTarget(options: MockOptions = {}): Promise<Target> {
  const mock = await createMock({ port: 0, log: false, ...options });
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${mock.url}/__mock${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`control ${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const keys: Record<string, string> = {};
  const tenants: Record<string, string> = {};
  for (const t of mock.fixtures.tenants) {
    tenants[t.plan] ??= t.id;
    const full = t.keys.find((k) => !k.revoked && ['ingest', 'read', 'write', 'admin'].every((s) => k.scopes.includes(s)));
    if (full) keys[t.plan] ??= full.key;
    for (const k of t.keys) {
      if (k.revoked) keys.revoked ??= k.key;
      else if (k.scopes.length === 1 && k.scopes[0] === 'ingest') keys.ingestOnly ??= k.key;
      else if (t.projects.find((p) => p.id === k.project_id)?.status === 'archived') keys.archived ??= k.key;
    }
  }
  return {
    url: mock.url,
    model: mock.model,
    keys: keys as Target['keys'],
    tenants,
    freeze: async () => void (await control('POST', '/clock', { freeze: true })),
    advance: async (s) => void (await control('POST', '/clock', { advance_seconds: s })),
    setUsage: async (tenant, values) => void (await control('PUT', `/tenants/${tenant}/usage`, values)),
    setPlan: async (tenant, plan) => void (await control('PUT', `/tenants/${tenant}/plan`, { plan })),
    reset: async () => void (await control('POST', '/reset')),
    close: () => mock.close(),
  };
}
