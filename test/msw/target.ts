/** A conformance target backed by the MSW handlers (`traceloom/msw`) under msw/node: global fetch is intercepted, no socket. */
import { setupServer } from 'msw/node';
import { createMswHandlers, type MswOptions } from '../../src/msw/index.js';
import { targetKeysOf, type Target } from '../conformance/suite.js';

export async function mswTarget(options: MswOptions = {}): Promise<Target> {
  const api = createMswHandlers(options);
  const server = setupServer(...api);
  // Anything the handlers do not cover is a test bug, not a request to let through to the network.
  server.listen({ onUnhandledRequest: 'error' });
  const { control } = api;
  return {
    url: api.baseUrl,
    model: api.engine.model,
    ...targetKeysOf(api.engine.fixtures),
    freeze: async () => void (await control.clock({ freeze: true })),
    advance: async (s) => void (await control.clock({ advanceSeconds: s })),
    setUsage: async (tenant, values) => void (await control.setUsage(tenant, values)),
    setPlan: async (tenant, plan) => void (await control.setPlan(tenant, plan)),
    reset: async () => void (await control.reset()),
    close: async () => server.close(),
  };
}
