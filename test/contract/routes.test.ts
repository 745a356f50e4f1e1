/**
 * The router (src/contract/routes.ts): literal paths before templates, fewer parameters before
 * more, methods matched case-insensitively, parameters decoded, and the methods a path allows
 * when nothing matched.
 */
import { describe, expect, it } from 'vitest';
import { createRouter, type ContractModel } from '../../src/contract/index.js';

const op = (method: string, path: string, operationId: string) => ({ method, path, operationId });
const model = {
  operations: [
    op('GET', '/v1/traces/{trace_id}', 'getTrace'),
    op('DELETE', '/v1/traces/{trace_id}', 'deleteTrace'),
    op('POST', '/v1/traces/search', 'searchTraces'),
    op('GET', '/v1/traces/{trace_id}/spans/{span_id}', 'getSpan'),
    op('GET', '/v1/usage', 'getUsage'),
  ],
} as unknown as ContractModel;
const router = createRouter(model);
const id = (method: string, path: string) => {
  const m = router.match(method, path);
  return m.operation ? [m.operation.operationId, m.params] : ['none', m.allowed];
};

describe('router', () => {
  it('matches a literal path before a template that also matches it', () => {
    expect(id('POST', '/v1/traces/search')).toEqual(['searchTraces', {}]);
  });

  it('falls through to a template when the literal path lacks the method', () => {
    expect(id('GET', '/v1/traces/search')).toEqual(['getTrace', { trace_id: 'search' }]);
  });

  it('decodes parameters (and keeps a malformed escape as sent)', () => {
    expect(id('GET', '/v1/traces/tr%5F1/spans/sp%zz')).toEqual(['getSpan', { trace_id: 'tr_1', span_id: 'sp%zz' }]);
  });

  it('matches methods case-insensitively', () => {
    expect(id('get', '/v1/usage')).toEqual(['getUsage', {}]);
  });

  it('names the methods a path allows when the method is not one of them (sorted, once each)', () => {
    expect(id('PUT', '/v1/traces/search')).toEqual(['none', ['DELETE', 'GET', 'POST']]);
    expect(id('PATCH', '/v1/traces/tr_1')).toEqual(['none', ['DELETE', 'GET']]);
    expect(id('GET', '/v2/usage')).toEqual(['none', []]);
  });
});
