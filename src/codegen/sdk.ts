/**
 * `generated/sdk.ts`: a resource-style facade over the typed client, one object per tag
 * (`traces.list()`, `projects.archive(id)`, `ingest.batch(body)`), resolving with the body and
 * rejecting with `TraceloomError`.
 * @module
 */
import { ContractError } from '../contract/index.js';
import { STAMP, byName, camel, doc, file, key, str } from './emit.js';
import type { OperationInfo } from './operations.js';

/** Where an operation lands in the facade. */
export interface SdkName {
  resource: string;
  method: string;
}

/**
 * Names an operation after its tag and its operationId's verb: `listTraces` under `Traces` →
 * `traces.list`; `ingestBatch` under `Ingest` → `ingest.batch`; anything else keeps its
 * operationId (`ai.createInsight`). Names that would collide fall back to the operationId.
 */
export function sdkNames(operations: OperationInfo[]): Map<string, SdkName> {
  const names = new Map<string, SdkName>();
  for (const op of operations) {
    const resource = camel(op.tag);
    const [, verb = '', rest = ''] = /^([a-z]+)(.*)$/.exec(op.operationId) ?? [];
    const noun = resource.toLowerCase();
    const restLower = rest.toLowerCase();
    let method = op.operationId;
    if (restLower === noun || `${restLower}s` === noun || restLower === `${noun}s`) method = verb;
    else if (verb === noun && rest) method = rest[0]!.toLowerCase() + rest.slice(1);
    else if (restLower.startsWith(noun) && rest.length > noun.length) method = verb + rest.slice(noun.length);
    names.set(op.operationId, { resource, method });
  }
  const count = new Map<string, number>();
  for (const n of names.values()) count.set(`${n.resource}.${n.method}`, (count.get(`${n.resource}.${n.method}`) ?? 0) + 1);
  for (const [id, n] of names) if (count.get(`${n.resource}.${n.method}`)! > 1) names.set(id, { ...n, method: id });
  return names;
}

/** Renders `createSdk(client)`; `tags` gives each resource its doc comment. */
export function renderSdk(operations: OperationInfo[], tags: Record<string, string>): string {
  const names = sdkNames(operations);
  const resources = new Map<string, { tag: string; ops: OperationInfo[] }>();
  for (const op of operations) {
    const { resource } = names.get(op.operationId)!;
    const entry = resources.get(resource) ?? { tag: op.tag, ops: [] };
    if (entry.tag !== op.tag) throw new ContractError(`tags \`${entry.tag}\` and \`${op.tag}\` both name the SDK resource \`${resource}\`; rename one`);
    entry.ops.push(op);
    resources.set(resource, entry);
  }

  const lines = [
    STAMP,
    '/**',
    ' * Resource-style facade over the typed client, one object per tag of the contract. Methods take',
    ' * path parameters positionally, then the body, then the query, then {@link CallOptions}; they',
    ' * resolve with the response body and reject with `TraceloomError` (transport failures included).',
    ' * @module',
    ' */',
    "import type { Client } from 'openapi-fetch';",
    "import { unwrap } from '../src/client/errors.js';",
    "import type { operations as Op, paths } from './types.js';",
    '',
    '/** Per-call options: extra headers (e.g. your own `Idempotency-Key`) and an abort signal. */',
    'export interface CallOptions {',
    '  headers?: Record<string, string>;',
    '  signal?: AbortSignal;',
    '}',
    '',
    "/** Builds the facade over an openapi-fetch client typed with the contract's `paths`. */",
    'export function createSdk(client: Client<paths>) {',
    '  return {',
  ];
  for (const resource of [...resources.keys()].sort(byName)) {
    const { tag, ops } = resources.get(resource)!;
    if (tags[tag]) lines.push(`    /** ${doc(tags[tag]!)} */`);
    lines.push(`    ${key(resource)}: {`);
    const sorted = [...ops].sort((a, b) => byName(names.get(a.operationId)!.method, names.get(b.operationId)!.method));
    for (const op of sorted) lines.push(...renderMethod(op, names.get(op.operationId)!.method));
    lines.push('    },');
  }
  lines.push('  };', '}', '', "/** The facade's type. */", 'export type Sdk = ReturnType<typeof createSdk>;');
  return file(lines);
}

function renderMethod(op: OperationInfo, method: string): string[] {
  const ref = `Op[${str(op.operationId)}]`;
  const args: string[] = [];
  const pathArgs: string[] = [];
  for (const p of op.params.path) {
    const arg = camel(p.name);
    args.push(`${arg}: ${ref}['parameters']['path'][${str(p.name)}]`);
    pathArgs.push(`${key(p.name)}: ${arg}`);
  }
  if (op.body) {
    const content = op.body.required ? `${ref}['requestBody']['content']` : `NonNullable<${ref}['requestBody']>['content']`;
    const type = op.body.contentTypes.map((t) => `${content}[${str(t)}]`).join(' | ');
    args.push(`body${op.body.required ? '' : '?'}: ${type}`);
  }
  if (op.params.query.length > 0) {
    const required = op.params.query.some((p) => p.required);
    args.push(`query${required ? '' : '?'}: NonNullable<${ref}['parameters']['query']>`);
  }
  args.push('options?: CallOptions');

  const params: string[] = [];
  if (pathArgs.length) params.push(`path: { ${pathArgs.join(', ')} }`);
  if (op.params.query.length) params.push('query');
  const init = [params.length ? `params: { ${params.join(', ')} }` : '', op.body ? 'body' : '', '...options'].filter(Boolean).join(', ');
  return [
    `      /** ${doc(`${op.method} ${op.path} — ${op.summary}`)} */`,
    `      ${key(method)}: (${args.join(', ')}) =>`,
    `        client.${op.method}(${str(op.path)}, { ${init} }).then(unwrap),`,
  ];
}
