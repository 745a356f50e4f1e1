/** A conformance target backed by the MSW handlers (`traceloom/msw`) under msw/node: global fetch is intercepted, no socket. */
import { setupServer } from 'msw/node';
import { createMswHandlers, type MswOptions } from '../../src/msw/index.js';
import type { Target } from '../conformance/suite.js';

export async function mswTarget(options: MswOptions = {}): Promise<Target> {
  const api = createMswHandlers(options);
  const server = setupServer(...api);
  // Anything the handlers do not cover is a test bug, not a request to let through to the network.
  server.listen({ onUnhandledRequest: 'error' });
  const keys: Record<string, string> = {};
  const tenants: Record<string, string> = {};
  for (const t of api.engine.fixtures.tenants) {
    tenants[t.plan] ??= t.id;
    const full = t.keys.find((k) => !k.revoked && ['ingest', 'read', 'write', 'admin'].every((s) => k.scopes.includes(s)));
    if (full) keys[t.plan] ??= full.key;
    for (const k of t.keys) {
      if (k.revoked) keys.revoked ??= k.key;
      else if (k.scopes.length === 1 && k.scopes[0] === 'ingest') keys.ingestOnly ??= k.key;
      else if (t.projects.find((p) => p.id === k.project_id)?.status === 'archived') keys.archived ??= k.key;
    }
  }
  const { control } = api;
  return {
    url: api.baseUrl,
    model: api.engine.model,
    keys: keys as Target['keys'],
    tenants,
    freeze: async () => void (await control.clock({ freeze: true })),
    advance: async (s) => void (await control.clock({ advanceSeconds: s })),
    setUsage: async (tenant, values) => void (await control.setUsage(tenant, values)),
    setPlan: async (tenant, plan) => void (await control.setPlan(tenant, plan)),
    reset: async () => void (await control.reset()),
    close: async () => server.close(),
  };
}
