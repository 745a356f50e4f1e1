/**
 * `generated/server.ts`: a handler type per operationId for the server stubs (DESIGN §6).
 * Each handler returns a status-discriminated union of exactly the responses its operation
 * declares, so an undeclared status, a wrong body or a missing field does not compile.
 * @module
 */
import { STAMP, byName, doc, file, key, pascal, str } from './emit.js';
import type { OperationInfo, ResponseInfo } from './operations.js';

/** Renders the handler types, the `Handlers` map and the `operations` table. */
export function renderServer(operations: OperationInfo[]): string {
  const ops = [...operations].sort((a, b) => byName(a.operationId, b.operationId));
  const lines: string[] = [
    STAMP,
    '/**',
    ' * Typed handlers for the server stubs: one per operationId, each receiving the validated request and',
    ' * returning one of the responses its operation declares (`{status, body, headers?}`).',
    ' * Header parameters are keyed in lower case, as Node delivers them; query values arrive converted',
    " * to their schema types by the pipeline's validation.",
    ' * @module',
    ' */',
    "import type { operations as Op } from './types.js';",
    '',
    '/** Headers a handler may add; the pipeline sets `X-Request-Id` and the rate-limit headers itself. */',
    'export type ResponseHeaders = Record<string, string | number | readonly string[]>;',
    '',
    '/** The same object type with its keys in lower case (how Node delivers request headers). */',
    'export type LowercaseKeys<T> = { [K in keyof T as Lowercase<K & string>]: T[K] };',
    '',
    "/** One operation's handler: `ctx` is whatever the server runtime passes (tenant, key, request id…). */",
    'export type Handler<Req, Res, Ctx = unknown> = (request: Req, ctx: Ctx) => Res | Promise<Res>;',
  ];
  for (const op of ops) lines.push('', ...renderOperation(op));

  lines.push('', "/** Every operation's handler, keyed by operationId; a missing one answers 501 `not_implemented`. */");
  lines.push('export interface Handlers<Ctx = unknown> {');
  for (const op of ops) {
    lines.push(`  /** ${doc(`${op.method} ${op.path} — ${op.summary}`)} */`);
    lines.push(`  ${key(op.operationId)}?: ${pascal(op.operationId)}Handler<Ctx>;`);
  }
  lines.push('}');

  lines.push('', '/** Request and response types by operationId, for runtimes that dispatch generically. */');
  lines.push('export interface OperationTypes {');
  for (const op of ops) {
    const name = pascal(op.operationId);
    lines.push(`  ${key(op.operationId)}: { request: ${name}Request; response: ${name}Response };`);
  }
  lines.push('}');

  lines.push('', '/** Method, path template and declared statuses of every operation. */');
  lines.push('export const operations = {');
  for (const op of ops) {
    const statuses = op.responses.map((r) => r.status).join(', ');
    lines.push(`  ${key(op.operationId)}: { method: ${str(op.method)}, path: ${str(op.path)}, statuses: [${statuses}] },`);
  }
  lines.push('} as const;');
  lines.push('', '/** The operationIds of the contract. */', 'export type OperationId = keyof typeof operations;');
  return file(lines);
}

function renderOperation(op: OperationInfo): string[] {
  const name = pascal(op.operationId);
  const ref = `Op[${str(op.operationId)}]`;
  const lines = [`// ${op.operationId}: ${op.method} ${op.path}`, ''];

  // 1. The request: parameters by location, then the body (one variant per media type).
  const paramsType = (location: 'path' | 'query' | 'header') => {
    if (op.params[location].length === 0) return 'Record<string, never>';
    const type = location === 'path' ? `${ref}['parameters']['path']` : `NonNullable<${ref}['parameters'][${str(location)}]>`;
    return location === 'header' ? `LowercaseKeys<${type}>` : type;
  };
  const base = [`  path: ${paramsType('path')};`, `  query: ${paramsType('query')};`, `  headers: ${paramsType('header')};`];
  lines.push(`/** ${doc(`The validated request of ${op.operationId} (${op.method} ${op.path}).`)} */`);
  if (!op.body) {
    lines.push(`export interface ${name}Request {`, ...base, '  body?: undefined;', '}');
  } else {
    const content = op.body.required ? `${ref}['requestBody']['content']` : `NonNullable<${ref}['requestBody']>['content']`;
    const optional = op.body.required ? '' : '?';
    const variants = op.body.contentTypes.map((type) =>
      op.body!.contentTypes.length > 1
        ? `{ contentType: ${str(type)}; body${optional}: ${content}[${str(type)}] }`
        : `{ body${optional}: ${content}[${str(type)}] }`,
    );
    lines.push(`export type ${name}Request = {`, ...base, `} & (${variants.join(' | ')});`);
  }

  // 2. The responses: exactly the declared statuses.
  lines.push('', `/** ${doc(`The responses ${op.operationId} declares: ${op.responses.map((r) => r.status).join(', ')}.`)} */`);
  lines.push(`export type ${name}Response =`);
  for (const response of op.responses) {
    for (const variant of responseVariants(ref, response)) lines.push(`  | ${variant}`);
  }
  lines[lines.length - 1] += ';';

  // 3. The handler.
  lines.push('', `/** ${doc(`${op.method} ${op.path} — ${op.summary}`)} */`);
  lines.push(`export type ${name}Handler<Ctx = unknown> = Handler<${name}Request, ${name}Response, Ctx>;`);
  return lines;
}

function responseVariants(ref: string, response: ResponseInfo): string[] {
  const { status, contentTypes } = response;
  if (contentTypes.length === 0) return [`{ status: ${status}; body?: undefined; headers?: ResponseHeaders }`];
  const content = `${ref}['responses'][${status}]['content']`;
  return contentTypes.map((type) =>
    contentTypes.length > 1
      ? `{ status: ${status}; contentType: ${str(type)}; body: ${content}[${str(type)}]; headers?: ResponseHeaders }`
      : `{ status: ${status}; body: ${content}[${str(type)}]; headers?: ResponseHeaders }`,
  );
}
