/**
 * The operations of the bundled document as the generators need them: parameters by location,
 * request and response media types, declared statuses; sorted by operationId.
 * @module
 */
import { ContractError, resolveRef, type OpenApiDocument } from '../contract/index.js';
import { byName } from './emit.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface ParameterInfo {
  name: string;
  required: boolean;
}

export interface ResponseInfo {
  /** Declared status code (`default` and ranges are not used by this contract and are refused). */
  status: number;
  /** Media types of the body; empty when the response has none (e.g. 204). */
  contentTypes: string[];
}

export interface OperationInfo {
  operationId: string;
  /** Upper-case HTTP method. */
  method: string;
  path: string;
  tag: string;
  summary: string;
  params: { path: ParameterInfo[]; query: ParameterInfo[]; header: ParameterInfo[] };
  body: { required: boolean; contentTypes: string[] } | null;
  responses: ResponseInfo[];
}

/** Reads every operation of `document`; errors name the operation and the key to fix. */
export function collectOperations(document: OpenApiDocument): OperationInfo[] {
  const out: OperationInfo[] = [];
  for (const [path, rawItem] of Object.entries<any>(document.paths ?? {})) {
    const item = resolveRef(document, rawItem) ?? {};
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const where = `${method.toUpperCase()} ${path}`;
      if (typeof op.operationId !== 'string') throw new ContractError(`${where} has no operationId; codegen names every handler after it`);
      out.push({
        operationId: op.operationId,
        method: method.toUpperCase(),
        path,
        tag: String(op.tags?.[0] ?? 'default'),
        summary: String(op.summary ?? ''),
        params: readParams(document, path, [...(item.parameters ?? []), ...(op.parameters ?? [])]),
        body: readBody(document, op.requestBody),
        responses: readResponses(document, op.responses ?? {}, where),
      });
    }
  }
  const seen = new Set<string>();
  for (const op of out) {
    if (seen.has(op.operationId)) throw new ContractError(`operationId \`${op.operationId}\` is used twice; operationIds must be unique`);
    seen.add(op.operationId);
  }
  return out.sort((a, b) => byName(a.operationId, b.operationId));
}

function readParams(document: OpenApiDocument, path: string, raw: unknown[]): OperationInfo['params'] {
  const byLocation = new Map<string, Map<string, ParameterInfo>>();
  for (const node of raw) {
    const p = resolveRef(document, node);
    if (!p?.name || !p.in) continue;
    const location = byLocation.get(p.in) ?? new Map<string, ParameterInfo>();
    location.set(p.name, { name: p.name, required: p.in === 'path' || p.required === true }); // operation-level wins
    byLocation.set(p.in, location);
  }
  const list = (location: string) => [...(byLocation.get(location)?.values() ?? [])];
  return {
    // template order: it is the order of the SDK's positional arguments
    path: list('path').sort((a, b) => path.indexOf(`{${a.name}}`) - path.indexOf(`{${b.name}}`)),
    query: list('query').sort((a, b) => byName(a.name, b.name)),
    header: list('header').sort((a, b) => byName(a.name, b.name)),
  };
}

function readBody(document: OpenApiDocument, raw: unknown): OperationInfo['body'] {
  const body = resolveRef(document, raw);
  if (!body) return null;
  return { required: body.required === true, contentTypes: Object.keys(body.content ?? {}).sort(byName) };
}

function readResponses(document: OpenApiDocument, raw: Record<string, unknown>, where: string): ResponseInfo[] {
  return Object.entries(raw)
    .map(([status, node]) => {
      if (!/^[1-5]\d\d$/.test(status)) {
        throw new ContractError(`${where} declares response \`${status}\`; codegen needs explicit status codes (no \`default\` or \`4XX\`)`);
      }
      const response = resolveRef(document, node) ?? {};
      return { status: Number(status), contentTypes: Object.keys(response.content ?? {}).sort(byName) };
    })
    .sort((a, b) => a.status - b.status);
}
