import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContractError, loadContract, readModel, repoRoot, type OpenApiDocument } from '../../src/contract/index.js';
import { compileOperation } from '../../src/policy/compile.js';
import { clone, contract } from './fixtures.js';

type Mutation = (doc: OpenApiDocument) => void;
const xt = (doc: OpenApiDocument) => doc['x-traceloom'];
const ingest = (doc: OpenApiDocument) => doc.paths['/v1/ingest'].post;

/** given: a mutation of the real bundle; want: the pointer and the words of the error. */
const cases: { given: string; mutate: Mutation; pointer: string; want: RegExp }[] = [
  {
    given: 'an unknown policy on an operation',
    mutate: (d) => {
      ingest(d)['x-traceloom-rate-limit'] = ['reeds'];
    },
    pointer: '/paths/~1v1~1ingest/post/x-traceloom-rate-limit/0',
    want: /names unknown `reeds`; known: default, reads, ai/,
  },
  {
    given: 'an unknown plan gate',
    mutate: (d) => {
      d.paths['/v1/audit/events'].get['x-traceloom-plan'] = 'platinum';
    },
    pointer: '/paths/~1v1~1audit~1events/get/x-traceloom-plan',
    want: /unknown `platinum`; known: free, starter, pro, team, enterprise/,
  },
  {
    given: 'a quota on an unknown meter',
    mutate: (d) => {
      ingest(d)['x-traceloom-quota'][0].meter = 'tokens';
    },
    pointer: '/paths/~1v1~1ingest/post/x-traceloom-quota/0/meter',
    want: /unknown `tokens`; known: traces, spans, eval_runs/,
  },
  {
    given: 'a per_item quota without items',
    mutate: (d) => {
      delete ingest(d)['x-traceloom-quota'][1].items;
    },
    pointer: '/paths/~1v1~1ingest/post/x-traceloom-quota/1/items',
    want: /items \(the body path to count\)/,
  },
  {
    given: 'an unknown cap',
    mutate: (d) => {
      d.paths['/v1/projects'].post['x-traceloom-cap'] = 'widgets';
    },
    pointer: '/paths/~1v1~1projects/post/x-traceloom-cap',
    want: /unknown `widgets`; known: eval_rules, projects, api_keys, seats/,
  },
  {
    given: 'a body limit without a unit',
    mutate: (d) => {
      ingest(d)['x-traceloom-max-body'] = '5';
    },
    pointer: '/paths/~1v1~1ingest/post/x-traceloom-max-body',
    want: /size like 64KB, 512KB or 5MB; found `5`/,
  },
  {
    given: 'a policy window that is not a duration',
    mutate: (d) => {
      xt(d).rate_limit_policies.reads.window = 'one second';
    },
    pointer: '/x-traceloom/rate_limit_policies/reads/window',
    want: /duration like 1s, 60s, 1h or 24h; found `one second`/,
  },
  {
    given: 'a policy limit for an unknown plan',
    mutate: (d) => {
      xt(d).rate_limit_policies.reads.limit.gold = 5;
    },
    pointer: '/x-traceloom/rate_limit_policies/reads/limit/gold',
    want: /unknown `gold`/,
  },
  {
    given: 'a negative policy limit',
    mutate: (d) => {
      xt(d).rate_limit_policies.ai.limit = -1;
    },
    pointer: '/x-traceloom/rate_limit_policies/ai/limit',
    want: /integer ≥ 1 or 'unlimited'; found -1/,
  },
  {
    given: 'an unknown algorithm',
    mutate: (d) => {
      xt(d).rate_limit_policies.audit.algorithm = 'leaky';
    },
    pointer: '/x-traceloom/rate_limit_policies/audit/algorithm',
    want: /allowed: fixed-window, sliding-window, sliding-window-counter, token-bucket/,
  },
  {
    given: 'an unknown scope',
    mutate: (d) => {
      xt(d).rate_limit_policies.audit.scope = 'planet';
    },
    pointer: '/x-traceloom/rate_limit_policies/audit/scope',
    want: /allowed: api_key, tenant, ip/,
  },
  {
    given: 'a plan quota that is not a number',
    mutate: (d) => {
      xt(d).plans[0].quotas.traces = 'lots';
    },
    pointer: '/x-traceloom/plans/0/quotas/traces',
    want: /quota for meter `traces` must be an integer ≥ 0 or 'unlimited'/,
  },
  {
    given: 'a plan missing a meter',
    mutate: (d) => {
      delete xt(d).plans[1].quotas.spans;
    },
    pointer: '/x-traceloom/plans/1/quotas/spans',
    want: /plan `starter` quota for meter `spans`/,
  },
  {
    given: 'a plan listed twice',
    mutate: (d) => {
      xt(d).plans[1].id = 'free';
    },
    pointer: '/x-traceloom/plans/1/id',
    want: /plan id `free` appears twice/,
  },
  {
    given: 'an unknown overage mode',
    mutate: (d) => {
      xt(d).plans[2].overage = 'sometimes';
    },
    pointer: '/x-traceloom/plans/2/overage',
    want: /allowed: hard_stop, continue/,
  },
  {
    given: 'a burst multiplier of 1',
    mutate: (d) => {
      xt(d).plans[0].rate_limit.burst.multiplier = 1;
    },
    pointer: '/x-traceloom/plans/0/rate_limit/burst/multiplier',
    want: /multiplier must be a number > 1/,
  },
  {
    given: 'an error code with a 2xx status',
    mutate: (d) => {
      xt(d).errors.not_found.status = 200;
    },
    pointer: '/x-traceloom/errors/not_found/status',
    want: /integer from 400 to 599; found 200/,
  },
  {
    given: 'an error without retryable',
    mutate: (d) => {
      delete xt(d).errors.rate_limited.retryable;
    },
    pointer: '/x-traceloom/errors/rate_limited/retryable',
    want: /retryable must be true or false/,
  },
  {
    given: 'an example using an unregistered code',
    mutate: (d) => {
      delete xt(d).errors.trace_already_exists;
    },
    pointer: '/paths/~1v1~1ingest/post/responses',
    want: /documents error code `trace_already_exists`, which is not in x-traceloom.errors/,
  },
  {
    given: 'a `plan` limit on a window other than 60s',
    mutate: (d) => {
      xt(d).rate_limit_policies.default.window = '1s';
    },
    pointer: '/x-traceloom/rate_limit_policies/default/window',
    want: /window must be 60s/,
  },
  {
    given: 'no x-traceloom at all',
    mutate: (d) => {
      delete d['x-traceloom'];
    },
    pointer: '/x-traceloom',
    want: /`x-traceloom` must be an object; found nothing/,
  },
];

describe('reading the contract model', () => {
  it('reads plans, policies with per-plan limits and bursts, meters, errors and operations', async () => {
    const { model } = await contract();
    expect(model.policies.default!.limits).toEqual({ free: 60, starter: 300, pro: 1000, team: 3000, enterprise: 10000 });
    expect(model.policies.default!.burst!.free).toEqual({ multiplier: 2, seconds: 10 });
    expect(model.policies.reads!.windowSeconds).toBe(1);
    expect(model.policies.api_key_create!.windowSeconds).toBe(86400);
    const batch = model.operations.find((o) => o.operationId === 'ingestBatch')!;
    expect(batch).toMatchObject({ maxBodyBytes: 5 * 1024 * 1024, maxItems: { field: 'traces', max: 1000 }, policies: ['default'] });
    expect(model.operations.find((o) => o.operationId === 'listAuditEvents')!.plan).toBe('team');
    expect(model.plans[4]!.quotas.traces).toBeNull();
  });

  it('reads `algorithm: sliding-window-counter` and compiles it to a counter limiter with its own keys', async () => {
    const { document } = await contract();
    const doc = clone(document);
    xt(doc).rate_limit_policies.audit.algorithm = 'sliding-window-counter';
    const model = readModel(doc);
    expect(model.policies.audit!.algorithm).toBe('sliding-window-counter');
    const operation = model.operations.find((o) => o.operationId === 'listAuditEvents')!;
    const audit = compileOperation(model, operation, 'team').limiters.find((l) => l.name === 'audit')!;
    expect(audit).toMatchObject({ kind: 'counter', limit: 30, windowMs: 60_000, keyPart: ':rl:c:audit:t' });
  });

  it.each(cases)('rejects $given, naming the pointer and what is allowed', async ({ mutate, pointer, want }) => {
    const { document } = await contract();
    const doc = clone(document);
    mutate(doc);
    let error: unknown;
    try {
      readModel(doc);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ContractError);
    expect((error as ContractError).pointer).toBe(pointer);
    expect((error as Error).message).toMatch(want);
  });

  it('names the split source file of a bad value, not the bundle', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-contract-'));
    try {
      await cp(join(repoRoot, 'openapi'), dir, { recursive: true });
      const file = join(dir, 'traceloom.yaml');
      await writeFile(file, (await readFile(file, 'utf8')).replace('algorithm: fixed-window', 'algorithm: leaky-bucket'));
      await expect(loadContract(join(dir, 'openapi.yaml'))).rejects.toThrow(
        /traceloom\.yaml#\/rate_limit_policies\/reads\/algorithm: policy `reads` algorithm is `leaky-bucket`; allowed: fixed-window, sliding-window, sliding-window-counter, token-bucket/,
      );
      const paths = join(dir, 'paths', 'ingest.yaml');
      await writeFile(paths, (await readFile(paths, 'utf8')).replace('- default', '- reeds'));
      await writeFile(file, (await readFile(file, 'utf8')).replace('leaky-bucket', 'fixed-window'));
      await expect(loadContract(join(dir, 'openapi.yaml'))).rejects.toThrow(/paths\/ingest\.yaml#\/post\/x-traceloom-rate-limit\/0: /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a contract whose $ref does not resolve, naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-contract-'));
    try {
      await cp(join(repoRoot, 'openapi'), dir, { recursive: true });
      await rm(join(dir, 'components', 'schemas', 'Span.yaml'));
      await expect(loadContract(join(dir, 'openapi.yaml'))).rejects.toThrow(/does not bundle[\s\S]*Span\.yaml/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
