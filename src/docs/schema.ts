/**
 * JSON Schema (OpenAPI 3.1) → Markdown field tables: one row per field, nested fields as dotted
 * paths (`spans[].usage.total_tokens`), every constraint spelled out, since a reader (or a model)
 * of the Markdown has no schema viewer.
 * @module
 */
import type { OpenApiDocument } from '../contract/index.js';
import { code } from './format.js';
import { resolve } from './guides/context.js';

export interface FieldRow {
  path: string;
  type: string;
  required: boolean;
  description: string;
}

const MAX_DEPTH = 6;

/** The component name of a `$ref` (`#/components/schemas/Span` → `Span`). */
function refName(node: any): string | null {
  return node && typeof node.$ref === 'string' ? (node.$ref.split('/').pop() ?? null) : null;
}

/** `allOf` parts merged into one object schema (properties and required lists). */
function flatten(document: OpenApiDocument, node: any): any {
  const s = resolve(document, node);
  if (!s || !Array.isArray(s.allOf)) return s;
  const merged: any = { ...s, allOf: undefined, properties: { ...(s.properties ?? {}) }, required: [...(s.required ?? [])] };
  for (const part of s.allOf) {
    const p = flatten(document, part);
    Object.assign(merged.properties, p?.properties ?? {});
    merged.required.push(...(p?.required ?? []));
    merged.type ??= p?.type;
    merged.description ??= p?.description;
  }
  return merged;
}

/** A short type label: `string (date-time)`, `array of Span`, `integer | null`, `one of A, B`. */
export function typeLabel(document: OpenApiDocument, node: any, depth = 0): string {
  const name = refName(node);
  const s = flatten(document, node);
  if (!s || typeof s !== 'object') return s === false ? 'never' : 'any';
  if (s.const !== undefined) return `constant ${JSON.stringify(s.const)}`;
  for (const key of ['oneOf', 'anyOf'] as const) {
    if (Array.isArray(s[key])) return `${key === 'oneOf' ? 'one of' : 'any of'} ${s[key].map((x: any) => typeLabel(document, x, depth + 1)).join(', ')}`;
  }
  const types: string[] = Array.isArray(s.type) ? s.type : s.type ? [s.type] : s.properties ? ['object'] : [];
  const label = types
    .map((t) => {
      if (t === 'array') return depth > 3 ? 'array' : `array of ${typeLabel(document, s.items, depth + 1)}`;
      if (t === 'object' && name) return name;
      if (t === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object' && !s.properties) {
        return `map of ${typeLabel(document, s.additionalProperties, depth + 1)}`;
      }
      return s.format && t !== 'null' ? `${t} (${s.format})` : t;
    })
    .join(' | ');
  return label || (name ?? 'any');
}

/** The constraints of a schema as short phrases. */
export function constraints(document: OpenApiDocument, node: any): string[] {
  const s = flatten(document, node);
  if (!s || typeof s !== 'object') return [];
  const out: string[] = [];
  if (Array.isArray(s.enum)) out.push(`one of ${s.enum.map((v: unknown) => code(JSON.stringify(v))).join(', ')}`);
  if (s.minLength !== undefined || s.maxLength !== undefined) out.push(range('length', s.minLength, s.maxLength));
  if (s.minimum !== undefined || s.maximum !== undefined) out.push(range('value', s.minimum, s.maximum));
  if (s.exclusiveMinimum !== undefined) out.push(`value > ${s.exclusiveMinimum}`);
  if (s.exclusiveMaximum !== undefined) out.push(`value < ${s.exclusiveMaximum}`);
  if (s.minItems !== undefined || s.maxItems !== undefined) out.push(range('items', s.minItems, s.maxItems));
  if (s.uniqueItems) out.push('items unique');
  if (s.maxProperties !== undefined) out.push(`at most ${s.maxProperties} keys`);
  if (s.pattern !== undefined) out.push(`pattern ${code(s.pattern)}`);
  if (s.default !== undefined) out.push(`default ${code(JSON.stringify(s.default))}`);
  if (s.deprecated) out.push('deprecated');
  if (s.readOnly) out.push('read-only');
  return out;
}

function range(what: string, min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return min === max ? `${what} ${min}` : `${what} ${min}–${max}`;
  return min !== undefined ? `${what} ≥ ${min}` : `${what} ≤ ${max}`;
}

/** Description plus constraints, on one line. */
export function describe(document: OpenApiDocument, node: any, own?: string): string {
  const s = flatten(document, node);
  const text = (own ?? s?.description ?? '').replace(/\s+/g, ' ').trim();
  const c = constraints(document, node);
  return [text, c.length ? `${c.join('; ')}.` : ''].filter(Boolean).join(' ');
}

/** Rows for every field of an object schema (recursing into objects and arrays of objects). */
export function fieldRows(document: OpenApiDocument, node: any, prefix = '', depth = 0, seen: string[] = []): FieldRow[] {
  const name = refName(node);
  if (depth > MAX_DEPTH || (name && seen.includes(name))) return [];
  const trail = name ? [...seen, name] : seen;
  let s = flatten(document, node);
  // An array at the top (or nested arrays): describe its items' fields under `[]`.
  if (s?.type === 'array' && s.items) return fieldRows(document, s.items, `${prefix}[]`, depth + 1, trail);
  if (!s?.properties) return [];
  const required = new Set<string>(s.required ?? []);
  const rows: FieldRow[] = [];
  for (const [key, child] of Object.entries<any>(s.properties)) {
    const path = prefix ? `${prefix}.${key}` : key;
    rows.push({
      path,
      type: typeLabel(document, child),
      required: required.has(key),
      description: describe(document, child, child?.description),
    });
    const c = flatten(document, child);
    if (c?.properties) rows.push(...fieldRows(document, child, path, depth + 1, trail));
    else if (c?.type === 'array' || (Array.isArray(c?.type) && c.type.includes('array'))) {
      rows.push(...fieldRows(document, c.items, `${path}[]`, depth + 1, trail));
    }
  }
  return rows;
}
