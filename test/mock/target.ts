/** A conformance target backed by the mock and its control API. */
import { createMock, type MockOptions } from '../../src/mock/index.js';
import { targetKeysOf, type Target } from '../conformance/suite.js';

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
  return {
    url: mock.url,
    model: mock.model,
    ...targetKeysOf(mock.fixtures),
    freeze: async () => void (await control('POST', '/clock', { freeze: true })),
    advance: async (s) => void (await control('POST', '/clock', { advance_seconds: s })),
    setUsage: async (tenant, values) => void (await control('PUT', `/tenants/${tenant}/usage`, values)),
    setPlan: async (tenant, plan) => void (await control('PUT', `/tenants/${tenant}/plan`, { plan })),
    reset: async () => void (await control('POST', '/reset')),
    close: () => mock.close(),
  };
}
