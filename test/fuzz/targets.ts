/**
 * What the fuzz suite runs against: the mock (in-process, chaos off) and the server stubs (the
 * typed reference implementation), each with rate limits raised so that 429s do not drown the
 * other answers, a full-scope key on the enterprise plan, and a few resources created up front
 * whose ids the generators mix in (so requests reach the 2xx paths, not only 404s).
 * @module
 */
import { loadContract, type ContractModel, type OpenApiDocument } from '../../src/contract/index.js';
import { createMock } from '../../src/mock/index.js';
import { trace } from '../conformance/suite.js';
import { serverTarget } from '../server/reference.js';
import type { Hints } from './schema.js';

export interface FuzzTarget {
  name: string;
  url: string;
  document: OpenApiDocument;
  model: ContractModel;
  /** A key with every scope on a plan without quotas or caps. */
  key: string;
  /** The server stubs answer 501 `not_implemented` for operations without a handler. */
  stub: boolean;
  hints: Hints;
  close(): Promise<void>;
}

/** Every policy at 1,000,000 per minute: the most X-RateLimit-Limit the contract's header schema allows. */
export function generousPolicies(model: ContractModel): string[] {
  return Object.keys(model.policies).map((name) => `${name}=1000000/60s`);
}

const ref = (name: string) => `#/components/schemas/${name}`;

/**
 * Creates a trace, a project, an eval rule, feedback, an eval run, an attestation and an API key
 * with `key` (whichever the target implements) and returns their ids as hints. The key's own
 * project and the key itself are never hinted, so fuzzed archives and revocations cannot lock
 * the suite out.
 */
export async function seed(url: string, key: string, document: OpenApiDocument): Promise<Hints> {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return res.ok ? ((await res.json()) as Record<string, any>) : null;
  };
  const hints: Record<string, unknown[]> = {};
  const add = (name: string, value: unknown) => {
    if (value !== undefined && value !== null) (hints[ref(name)] ??= []).push(value);
  };
  const t = trace(2) as { trace_id: string; spans: { span_id: string }[] };
  const ingested = await post('/v1/ingest', t);
  if (ingested) {
    add('TraceId', t.trace_id);
    for (const s of t.spans) add('SpanId', s.span_id);
  }
  const project = await post('/v1/projects', { name: 'fuzz seed' });
  add('ProjectId', project?.id);
  add('RuleId', (await post('/v1/eval-rules', { name: 'fuzz seed', evaluator: 'relevance', sample_rate: 0.5 }))?.id);
  if (ingested) {
    add('FeedbackId', (await post('/v1/feedback', { trace_id: t.trace_id, score: 1 }))?.id);
    add('EvalId', (await post('/v1/evals', { trace_id: t.trace_id, evaluator: 'relevance' }))?.id);
    const attestation = await post('/v1/attestations', { trace_id: t.trace_id });
    add('AttestationId', attestation?.id);
    if (attestation) {
      // Verification takes the attestation exactly as issued: only the members its schema has.
      const members = Object.keys(document.components.schemas.AttestationVerifyRequest.properties);
      add('AttestationVerifyRequest', Object.fromEntries(members.map((m) => [m, attestation[m]])));
    }
  }
  if (project) add('KeyId', (await post('/v1/api-keys', { name: 'fuzz seed', scopes: ['read'], project_id: project.id }))?.id);
  return hints;
}

/** The mock, in-process, with generous limits. */
export async function mockFuzzTarget(): Promise<FuzzTarget> {
  const { document, model } = await loadContract();
  const mock = await createMock({ port: 0, log: false, policies: generousPolicies(model), env: {} });
  const key = mock.fixtures.tenants.find((t) => t.plan === 'enterprise')!.keys.find((k) => k.scopes.length === 4 && !k.revoked)!.key;
  return { name: 'mock', url: mock.url, document, model: mock.model, key, stub: false, hints: await seed(mock.url, key, document), close: () => mock.close() };
}

/** The server stubs with the reference handlers, with generous limits. */
export async function serverFuzzTarget(): Promise<FuzzTarget> {
  const { document, model } = await loadContract();
  const target = await serverTarget({ policies: generousPolicies(model) });
  const key = target.keys.enterprise!;
  return {
    name: 'server stubs',
    url: target.url,
    document,
    model: target.model,
    key,
    stub: true,
    hints: await seed(target.url, key, document),
    close: () => target.close(),
  };
}
