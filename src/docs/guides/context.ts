/**
 * What a guide is, and the contract lookups several guides share. Every number, plan and code a
 * guide prints comes from here, i.e. from the contract model; nothing is typed in by hand.
 * @module
 */
import type { ContractModel, ErrorDef, OpenApiDocument, OperationModel, Plan } from '../../contract/index.js';
import { link } from '../format.js';
import type { Linker } from '../links.js';

export interface GuideContext {
  model: ContractModel;
  /** The bundled contract, for what the model does not carry (security schemes, examples, servers). */
  document: OpenApiDocument;
  links: Linker;
}

export interface Guide {
  /** File name of the guide's Markdown (`guides/<slug>.md`). */
  slug: string;
  /** Tag name in the rendered reference; its Redoc route is the slug of this title. */
  title: string;
  /** One line for llms.txt. */
  summary: string;
  /** The body: Markdown whose `##` headings become the guide's sections. */
  body(ctx: GuideContext): string;
}

/** Link to one error code's section of the Errors guide. */
export function errorLink(ctx: GuideContext, code: string): string {
  return link(`\`${code}\``, ctx.links.guide('errors', 'Errors', code));
}

/** Link to an operation, labelled with its method and path. */
export function operationLink(ctx: GuideContext, op: OperationModel, label = `${op.method} ${op.path}`): string {
  return link(label, ctx.links.operation(op));
}

/** Registry entries in contract order. */
export function errorsWhere(model: ContractModel, test: (e: ErrorDef) => boolean): ErrorDef[] {
  return Object.values(model.errors).filter(test);
}

/** A plan's display name. */
export function planName(model: ContractModel, id: string | null): string {
  if (id === null) return 'every plan';
  return model.plans.find((p: Plan) => p.id === id)?.name ?? id;
}

/** Operations that document `code` among their error responses. */
export function operationsReturning(model: ContractModel, code: string): OperationModel[] {
  return model.operations.filter((op) => op.errorCodes.includes(code));
}

/** The first named example value (document order: components.responses, then paths) that passes `test`. */
function findExample(document: OpenApiDocument, test: (value: any) => boolean): Record<string, unknown> | null {
  let found: Record<string, unknown> | null = null;
  const visit = (node: unknown): void => {
    if (found || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(visit);
    const examples = (node as Record<string, any>).examples;
    if (examples && typeof examples === 'object' && !Array.isArray(examples)) {
      for (const ex of Object.values<any>(examples)) {
        if (ex?.value && typeof ex.value === 'object' && test(ex.value)) {
          found = ex.value;
          return;
        }
      }
    }
    for (const value of Object.values(node)) visit(value);
  };
  visit(document.components?.responses);
  visit(document.paths);
  return found;
}

/**
 * An example problem body for `code`: the contract's own named example when it has one, else one
 * made from the registry entry (with the `request_id` style of the contract's other examples).
 */
export function problemExample(ctx: GuideContext, code: string): Record<string, unknown> | null {
  const own = findExample(ctx.document, (v) => v.code === code && typeof v.type === 'string');
  if (own) return own;
  const def = ctx.model.errors[code];
  if (!def) return null;
  const requestId = findExample(ctx.document, (v) => typeof v.request_id === 'string')?.request_id;
  const op = operationsReturning(ctx.model, code)[0];
  return {
    type: `${ctx.model.docsBaseUrl.replace(/\/+$/, '')}/errors#${code}`,
    title: def.title,
    status: def.status,
    detail: def.description,
    instance: op?.path ?? ctx.model.operations[0]?.path ?? '/',
    code,
    ...(requestId ? { request_id: requestId } : {}),
    retryable: def.retryable,
  };
}

/** Response headers documented next to problem examples of `code` (e.g. `Retry-After`). */
export function headersWithCode(document: OpenApiDocument, code: string): string[] {
  const names = new Set<string>();
  const responses = Object.values<any>(document.components?.responses ?? {});
  for (const response of responses) {
    const carries = Object.values<any>(response?.content ?? {}).some((media) =>
      Object.values<any>(media?.examples ?? {}).some((ex) => ex?.value?.code === code),
    );
    if (carries) for (const name of Object.keys(response.headers ?? {})) names.add(name);
  }
  return [...names];
}

/** Names of the operations' parameters, resolving `$ref`s into components. */
export function parameterNames(document: OpenApiDocument, op: OperationModel): string[] {
  const item = document.paths?.[op.path] ?? {};
  const operation = item[op.method.toLowerCase()] ?? {};
  return [...(item.parameters ?? []), ...(operation.parameters ?? [])]
    .map((p: any) => resolve(document, p))
    .filter((p: any) => p && typeof p.name === 'string')
    .map((p: any) => p.name as string);
}

/** Follows a local `$ref` (`#/components/...`) once or more; other values pass through. */
export function resolve(document: OpenApiDocument, node: any, depth = 0): any {
  if (!node || typeof node !== 'object' || typeof node.$ref !== 'string' || depth > 20) return node;
  const ref: string = node.$ref;
  if (!ref.startsWith('#/')) return node;
  const target = ref
    .slice(2)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<any>((acc, key) => (acc === undefined ? undefined : acc[key]), document);
  return resolve(document, target, depth + 1);
}
