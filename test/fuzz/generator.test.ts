/**
 * The generators themselves: a "valid" request must be valid by the contract (else the fuzz
 * suite's 4xx would be noise), and the mutation oracle must agree with the pipeline's own
 * validator on every mutated body (else its expectations would be guesses).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadContract } from '../../src/contract/index.js';
import { RequestValidator } from '../../src/http/index.js';
import { SchemaCheck } from './contract.js';
import { RequestFactory } from './requests.js';
import { RUNS } from './suite.js';

const { document, model } = await loadContract();
const schemas = new SchemaCheck(document);
const factory = new RequestFactory(document, schemas, {});
const pipeline = new RequestValidator(document);
// No HTTP here, so more runs than the HTTP properties, capped (OTLP bodies are the slowest: ~3 ms each).
const runs = Math.min(2000, Math.max(50, RUNS * 5));

describe('request generators', () => {
  it.each(model.operations.map((op) => [op.operationId, op] as const))(
    'generates only valid requests for %s',
    (_id, op) => {
      fc.assert(
        fc.property(factory.valid(op), (parts) => {
          expect(factory.expected(op, parts)).toBeNull();
          const query = new URLSearchParams();
          for (const [k, v] of Object.entries(parts.query)) query.append(k, String(v));
          const headers = Object.fromEntries(Object.entries(parts.headers).map(([k, v]) => [k.toLowerCase(), v]));
          const params = pipeline.params(op, { path: parts.path, query, headers });
          expect(params.ok, JSON.stringify(params)).toBe(true);
          if (parts.body !== undefined) {
            const body = pipeline.body(op, 'application/json', JSON.parse(factory.bodyText(parts)!));
            expect(body.ok, JSON.stringify(body)).toBe(true);
          }
        }),
        { numRuns: runs },
      );
    },
    120_000,
  );

  it.each(model.operations.filter((op) => factory.bodySchema(op)).map((op) => [op.operationId, op] as const))(
    'predicts 422 for a mutated body of %s exactly when the pipeline validator refuses it',
    (_id, op) => {
      fc.assert(
        fc.property(factory.mutated(op), ({ parts }) => {
          const text = factory.bodyText(parts);
          if (text === undefined || Buffer.byteLength(text) > (op.maxBodyBytes ?? 1 << 20)) return;
          const mine = schemas.errors(factory.bodySchema(op)!, JSON.parse(text)).length > 0;
          const theirs = !pipeline.body(op, 'application/json', JSON.parse(text)).ok;
          expect(theirs).toBe(mine);
        }),
        { numRuns: runs },
      );
    },
    120_000,
  );
});
