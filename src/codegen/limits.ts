/**
 * `generated/limits.ts`: the contract data the client needs at run time (error registry,
 * per-operation policies and limits), so the SDK never bundles or parses the YAML.
 * @module
 */
import type { ContractModel } from '../contract/index.js';
import { STAMP, byName, file, key, str } from './emit.js';

/** Renders the error registry and the per-operation limits as `as const` tables. */
export function renderLimits(model: ContractModel): string {
  const lines = [
    STAMP,
    '/**',
    ' * Contract data the SDK reads at run time: which error codes a retry can fix, and the rate-limit',
    ' * policies, body and item limits of every operation (from `x-traceloom` in openapi/).',
    ' * @module',
    ' */',
    '',
    '/** The error-code registry (DESIGN §3.3): status, title and whether the same request can succeed later. */',
    'export const errorCodes = {',
  ];
  for (const code of Object.keys(model.errors).sort(byName)) {
    const e = model.errors[code]!;
    lines.push(`  ${key(code)}: { status: ${e.status}, title: ${str(e.title)}, retryable: ${e.retryable} },`);
  }
  lines.push('} as const;', '', '/** A code of the registry. */', 'export type ErrorCode = keyof typeof errorCodes;', '');

  lines.push('/** Per operation: method, path template, rate-limit policies that apply, body and item limits. */');
  lines.push('export const operationLimits = {');
  for (const op of [...model.operations].sort((a, b) => byName(a.operationId, b.operationId))) {
    const maxItems = op.maxItems ? `{ field: ${str(op.maxItems.field)}, max: ${op.maxItems.max} }` : 'null';
    lines.push(
      `  ${key(op.operationId)}: { method: ${str(op.method)}, path: ${str(op.path)}, policies: [${op.policies.map(str).join(', ')}], ` +
        `maxBodyBytes: ${op.maxBodyBytes ?? 'null'}, maxItems: ${maxItems} },`,
    );
  }
  lines.push('} as const;', '', '/** The operationIds of the contract. */', 'export type OperationName = keyof typeof operationLimits;');
  return file(lines);
}
