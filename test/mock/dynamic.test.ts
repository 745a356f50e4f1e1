/** Prism's dynamic data (`Prefer: dynamic=true`) through the mock: bounded in size, and it conforms. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContract, type ContractModel, type OpenApiDocument } from '../../src/contract/index.js';
import { createMock, type MockServer } from '../../src/mock/index.js';
import { ResponseChecker } from '../fuzz/contract.js';

const KEY = 'tl_test_enterprise_00000000000000000001';

describe('dynamic answers', () => {
  let mock: MockServer;
  let checker: ResponseChecker;
  let model: ContractModel;
  let document: OpenApiDocument;
  beforeAll(async () => {
    ({ document, model } = await loadContract());
    checker = new ResponseChecker(document, model);
    mock = await createMock({ port: 0, log: false });
  });
  afterAll(() => mock?.close());

  it.each(['getTrace', 'listTraces', 'getUsage', 'getMetrics', 'listProjects', 'getEvalRule'])(
    '%s: a small body that conforms to the contract',
    async (operationId) => {
      const op = model.operations.find((o) => o.operationId === operationId)!;
      const path = op.path.replace(/\{[^}]+\}/g, (m) => ({ '{trace_id}': 'tr_dynamic001', '{rule_id}': 'rule_dynamic001' })[m] ?? m);
      const res = await fetch(`${mock.url}${path}`, { headers: { authorization: `Bearer ${KEY}`, prefer: 'dynamic=true' } });
      const text = await res.text();
      expect(res.status).toBe(200);
      expect(text.length).toBeLessThan(64 * 1024);
      expect(checker.violations(op, { status: res.status, headers: res.headers, body: JSON.parse(text), text })).toEqual([]);
    },
  );
});
