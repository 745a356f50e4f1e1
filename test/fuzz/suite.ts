/**
 * The spec-driven property suite, run against every backend (the mock, the server stubs): for
 * each operation of the contract, generated valid requests and mutated ones. Properties: no 5xx
 * (chaos is off), every answer conforms to the contract (test/fuzz/contract.ts), and a mutated
 * request gets exactly the problem the pipeline's step order predicts. On the mock, requests
 * with `Prefer` (Prism's example-driven and dynamic answers) must conform too.
 *
 * Size: `FUZZ_RUNS` runs per property per operation (default {@link DEFAULT_RUNS}, sized for
 * `npm test`); `npm run test:fuzz` runs 2,000. A failure prints fast-check's seed and path:
 * replay it with `FUZZ_SEED=<seed> FUZZ_PATH=<path>`.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContract, type OperationModel } from '../../src/contract/index.js';
import { ResponseChecker } from './contract.js';
import { RequestFactory, type RequestParts } from './requests.js';
import type { FuzzTarget } from './targets.js';

/** Runs per property per operation inside `npm test`. */
export const DEFAULT_RUNS = 50;
export const RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? DEFAULT_RUNS) || DEFAULT_RUNS);
const replay = process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED), path: process.env.FUZZ_PATH } : {};

/**
 * fast-check's report prints the whole counterexample (bodies of 600 KB); the property's own
 * error already describes the request, shortened, so report that with the seed and path.
 */
function reporter<T>(details: fc.RunDetails<T>): void {
  if (!details.failed) return;
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(
    `property failed after ${details.numRuns} runs (replay: FUZZ_SEED=${details.seed} FUZZ_PATH=${details.counterexamplePath}, shrunk ${details.numShrinks}×)\n${cause}`,
  );
}
/** Generous per-test time: about 60 ms a request, at least 30 s. */
const TIMEOUT = Math.max(30_000, RUNS * 60);

const { model: contractModel } = await loadContract();

function describeRequest(op: OperationModel, parts: RequestParts, factory: RequestFactory): string {
  const body = factory.bodyText(parts);
  return `${op.method} ${op.path} path=${JSON.stringify(parts.path)} query=${JSON.stringify(parts.query)} headers=${JSON.stringify(parts.headers)} body=${body === undefined ? '(none)' : body.slice(0, 600)}`;
}

/** Registers the property suite for one backend. */
export function fuzzSuite(start: () => Promise<FuzzTarget>, name: string, { prism = false } = {}): void {
  describe(`spec-driven fuzzing: ${name}`, () => {
    let target: FuzzTarget;
    let checker: ResponseChecker;
    let factory: RequestFactory;
    beforeAll(async () => {
      target = await start();
      checker = new ResponseChecker(target.document, target.model);
      factory = new RequestFactory(target.document, checker.schemas, target.hints);
    });
    afterAll(async () => {
      await target?.close();
    });

    const ops = contractModel.operations.map((op) => [`${op.method} ${op.path}`, op.operationId] as const);

    it.each(ops)(
      'answers valid requests to %s as the contract declares',
      async (_label, operationId) => {
        const op = target.model.operations.find((o) => o.operationId === operationId)!;
        await fc.assert(
          fc.asyncProperty(factory.valid(op), async (parts) => {
            const r = await factory.send(target.url, op, parts, target.key);
            const problems = checker.violations(op, r, { stub: target.stub });
            if (problems.length)
              throw new Error(`${problems.join('\n')}\n  request: ${describeRequest(op, parts, factory)}\n  response: ${r.text.slice(0, 600)}`);
          }),
          { numRuns: RUNS, reporter, ...replay },
        );
      },
      TIMEOUT,
    );

    it.each(ops)(
      'answers mutated requests to %s with the problem the pipeline order predicts',
      async (_label, operationId) => {
        const op = target.model.operations.find((o) => o.operationId === operationId)!;
        await fc.assert(
          fc.asyncProperty(factory.mutated(op), async ({ parts, mutation }) => {
            const r = await factory.send(target.url, op, parts, target.key);
            const problems = checker.violations(op, r, { stub: target.stub });
            const want = factory.expected(op, parts);
            if (want && (r.status !== want.status || r.body?.code !== want.code))
              problems.unshift(`want ${want.status} ${want.code}, got ${r.status} ${r.body?.code ?? ''}`);
            if (problems.length)
              throw new Error(`${mutation}: ${problems.join('\n')}\n  request: ${describeRequest(op, parts, factory)}\n  response: ${r.text.slice(0, 600)}`);
          }),
          { numRuns: RUNS, reporter, ...replay },
        );
      },
      TIMEOUT,
    );

    it.skipIf(!prism).each(ops)(
      'answers Prefer (Prism) requests to %s as the contract declares',
      async (_label, operationId) => {
        const op = target.model.operations.find((o) => o.operationId === operationId)!;
        await fc.assert(
          fc.asyncProperty(factory.preferred(op), async (parts) => {
            const r = await factory.send(target.url, op, parts, target.key);
            const requested = Number(/code=(\d+)/.exec(parts.headers.Prefer ?? '')?.[1]) || undefined;
            const problems = checker.violations(op, r, { stub: target.stub, requested });
            if (problems.length)
              throw new Error(`${problems.join('\n')}\n  request: ${describeRequest(op, parts, factory)}\n  response: ${r.text.slice(0, 600)}`);
          }),
          { numRuns: RUNS, reporter, ...replay },
        );
      },
      TIMEOUT,
    );

    it('is still serving after the runs, and nothing polluted Object.prototype', async () => {
      const health = await fetch(`${target.url}/v1/health`);
      expect(health.status).toBe(200);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });
}
