import { describe, expect, it } from 'vitest';
import { diffContracts, type OpenApiDocument } from '../../src/contract/index.js';
import { clone, contract } from './fixtures.js';

const schemas = (d: OpenApiDocument) => d.components.schemas;

/** given: an edit of the real bundle; want: the severities and words it must report. */
const cases: { given: string; edit: (d: OpenApiDocument) => void; want: { severity: string; text: RegExp }[] }[] = [
  { given: 'an operation removed', edit: (d) => delete d.paths['/v1/metrics'], want: [{ severity: 'breaking', text: /GET \/v1\/metrics: operation removed/ }] },
  {
    given: 'a new required request field',
    edit: (d) => {
      schemas(d).ProjectCreate.required.push('color');
      schemas(d).ProjectCreate.properties.color = { type: 'string', maxLength: 9 };
    },
    want: [{ severity: 'breaking', text: /POST \/v1\/projects request body application\/json \/color: is newly required/ }],
  },
  {
    given: 'a response field removed',
    edit: (d) => {
      delete schemas(d).Project.properties.archived_at;
      schemas(d).Project.required = schemas(d).Project.required.filter((r: string) => r !== 'archived_at');
    },
    want: [{ severity: 'breaking', text: /GET \/v1\/projects\/\{project_id\} 200 application\/json \/archived_at: was removed from the response/ }],
  },
  {
    given: 'a request enum narrowed',
    edit: (d) => {
      schemas(d).Evaluator.enum = ['faithfulness'];
    },
    want: [{ severity: 'breaking', text: /enum no longer accepts relevance/ }],
  },
  {
    given: 'a tighter request maxLength',
    edit: (d) => {
      schemas(d).Name.maxLength = 50;
    },
    want: [{ severity: 'breaking', text: /`maxLength` tightened from 200 to 50/ }],
  },
  {
    given: 'a new required query parameter',
    edit: (d) => {
      d.paths['/v1/traces'].get.parameters.push({ name: 'region', in: 'query', required: true, schema: { type: 'string', enum: ['eu'] } });
    },
    want: [{ severity: 'breaking', text: /GET \/v1\/traces parameter query:region: added as required/ }],
  },
  {
    given: 'an error code removed from the registry',
    edit: (d) => {
      delete d['x-traceloom'].errors.trace_already_exists;
    },
    want: [{ severity: 'breaking', text: /errors\.trace_already_exists: error code removed/ }],
  },
  {
    given: 'a lower quota',
    edit: (d) => {
      d['x-traceloom'].plans[0].quotas.traces = 5000;
    },
    want: [{ severity: 'warning', text: /plans\.free\.quotas\.traces: lowered from 10000 to 5000/ }],
  },
  {
    given: 'an optional request field added (additive)',
    edit: (d) => {
      schemas(d).ProjectCreate.properties.color = { type: 'string', maxLength: 9 };
    },
    want: [],
  },
  {
    given: 'a new operation (additive)',
    edit: (d) => {
      d.paths['/v1/ping'] = { get: { ...d.paths['/v1/health'].get, operationId: 'ping' } };
    },
    want: [{ severity: 'info', text: /GET \/v1\/ping: operation added/ }],
  },
];

describe('breaking-change detection', () => {
  it('finds nothing between a contract and itself', async () => {
    const { document } = await contract();
    expect(diffContracts(document, clone(document))).toEqual([]);
  });

  it.each(cases)('reports $given', async ({ edit, want }) => {
    const { document } = await contract();
    const head = clone(document);
    edit(head);
    const changes = diffContracts(document, head);
    for (const w of want)
      expect(
        changes.some((c) => c.severity === w.severity && w.text.test(`${c.at}: ${c.message}`)),
        JSON.stringify(changes.slice(0, 5)),
      ).toBe(true);
    if (!want.some((w) => w.severity === 'breaking')) expect(changes.filter((c) => c.severity === 'breaking')).toEqual([]);
  });
});
