import { describe, expect, it } from 'vitest';
import { loadContract, readModel, type ContractModel, type OpenApiDocument } from '../../src/contract/index.js';
import { renderAll, sdkNames } from '../../src/codegen/index.js';
import { collectOperations } from '../../src/codegen/operations.js';
import { renderServer } from '../../src/codegen/server.js';
import { renderLimits } from '../../src/codegen/limits.js';

/** A two-operation document, small enough to read the output of. */
function tinyDocument(): OpenApiDocument {
  const problem = { description: 'error', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
  return {
    openapi: '3.1.0',
    info: { title: 't', version: '1' },
    paths: {
      '/v1/things/{thing_id}': {
        delete: {
          operationId: 'deleteThing',
          tags: ['Things'],
          summary: 'Delete a thing',
          parameters: [{ name: 'thing_id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '404': problem, '204': { description: 'gone' } },
        },
      },
      '/v1/things': {
        post: {
          operationId: 'createThing',
          tags: ['Things'],
          summary: 'Create a thing',
          parameters: [{ name: 'Idempotency-Key', in: 'header', schema: { type: 'string' } }],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
          responses: { '201': { description: 'made', content: { 'application/json': { schema: { type: 'object' } } } }, '409': problem },
        },
      },
    },
    components: { schemas: { Problem: { type: 'object' } } },
  };
}

describe('server handler types', () => {
  it('declares one union member per declared status, in status order, and nothing else', () => {
    const text = renderServer(collectOperations(tinyDocument()));
    const start = text.indexOf('export type DeleteThingResponse =');
    const union = text.slice(start, text.indexOf(';\n', start));
    expect(union.match(/status: \d+/g)).toEqual(['status: 204', 'status: 404']);
    expect(union).toContain('{ status: 204; body?: undefined; headers?: ResponseHeaders }');
    expect(text).toContain("createThing: { method: 'POST', path: '/v1/things', statuses: [201, 409] },");
  });

  it('keys header parameters in lower case and types path parameters from openapi-typescript', () => {
    const text = renderServer(collectOperations(tinyDocument()));
    expect(text).toContain("headers: LowercaseKeys<NonNullable<Op['createThing']['parameters']['header']>>;");
    expect(text).toContain("path: Op['deleteThing']['parameters']['path'];");
  });

  it('does not depend on the order of paths or keys in the contract', () => {
    const doc = tinyDocument();
    const reversed = { ...doc, paths: Object.fromEntries(Object.entries(doc.paths).reverse()) };
    expect(renderServer(collectOperations(reversed))).toBe(renderServer(collectOperations(doc)));
  });

  it('refuses a `default` response and says which operation has it', () => {
    const doc = tinyDocument();
    doc.paths['/v1/things'].post.responses.default = { description: 'x' };
    expect(() => collectOperations(doc)).toThrow(/POST \/v1\/things declares response `default`/);
  });

  it('refuses an operation without an operationId', () => {
    const doc = tinyDocument();
    delete doc.paths['/v1/things'].post.operationId;
    expect(() => collectOperations(doc)).toThrow(/POST \/v1\/things has no operationId/);
  });
});

describe('limits for the SDK', () => {
  it('carries the ingestBatch limits and the retryable codes of the contract, not constants', async () => {
    const { document, model } = await loadContract();
    const batch = model.operations.find((o) => o.operationId === 'ingestBatch')!;
    const text = renderLimits(model);
    expect(text).toContain(`maxBodyBytes: ${batch.maxBodyBytes}, maxItems: { field: '${batch.maxItems!.field}', max: ${batch.maxItems!.max} }`);
    for (const e of Object.values(model.errors)) expect(text).toContain(`${e.code}: { status: ${e.status},`);

    // Change the contract's data and the generated limits follow.
    const edited = structuredClone(document);
    edited.paths['/v1/ingest/batch'].post['x-traceloom-max-items'] = { field: 'traces', max: 250 };
    expect(renderLimits(readModel(edited))).toContain("maxItems: { field: 'traces', max: 250 }");
  });
});

describe('SDK facade names', () => {
  it.each([
    { operationId: 'listTraces', tag: 'Traces', want: 'traces.list' },
    { operationId: 'getTrace', tag: 'Traces', want: 'traces.get' },
    { operationId: 'createEvalRule', tag: 'Eval rules', want: 'evalRules.create' },
    { operationId: 'revokeApiKey', tag: 'API keys', want: 'apiKeys.revoke' },
    { operationId: 'ingestBatch', tag: 'Ingest', want: 'ingest.batch' },
    { operationId: 'listAuditEvents', tag: 'Audit', want: 'audit.listEvents' },
    { operationId: 'createInsight', tag: 'AI', want: 'ai.createInsight' },
    { operationId: 'getMetrics', tag: 'Metrics', want: 'metrics.get' },
  ])('names $operationId under $tag as $want', async ({ operationId, want }) => {
    const { document } = await loadContract();
    const n = sdkNames(collectOperations(document)).get(operationId)!;
    expect(`${n.resource}.${n.method}`).toBe(want);
  });

  it('gives every operation of the contract a distinct name', async () => {
    const { document } = await loadContract();
    const names = [...sdkNames(collectOperations(document)).values()].map((n) => `${n.resource}.${n.method}`);
    expect(new Set(names).size).toBe(names.length);
  });

  it('renders every generated file from the tiny document too (no contract-specific assumptions)', async () => {
    const doc = tinyDocument();
    const files = await renderAll(doc, emptyModel());
    expect(files.find((f) => f.name === 'sdk.ts')!.text).toContain('things: {');
  });
});

function emptyModel(): ContractModel {
  return { title: 't', version: '1', docsBaseUrl: '', plans: [], policies: {}, meters: {}, capNames: [], errors: {}, operations: [] };
}
