/**
 * Step 8: request validation against the contract's own schemas (JSON Schema 2020-12, ajv).
 * Parameters that break their schema answer 400 `invalid_request`; a body that breaks its
 * schema answers 422 `validation_failed`, each with `errors: [{pointer, code, message}]`.
 * Compiled once per operation; shared by the mock and the server stubs (and the fuzz suite).
 * @module
 */
import Ajv2020 from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { OpenApiDocument, OperationModel } from '../contract/index.js';
import { resolveRef } from '../contract/read.js';

export interface ProblemItem {
  pointer: string;
  code: string;
  message: string;
}

export interface ParamInput {
  path: Record<string, string>;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
}

export type ValidationResult =
  { ok: true; query: Record<string, unknown> } | { ok: false; code: 'invalid_request' | 'validation_failed'; errors: ProblemItem[] };

const MAX_ITEMS = 20;
/** A check that passed with no query to return: a body, or an operation without parameters (shared, read-only). */
const BODY_OK: ValidationResult = Object.freeze({ ok: true, query: Object.freeze({}) }) as ValidationResult;
const KEYWORD_CODES: Record<string, string> = {
  additionalProperties: 'unknown_property',
  unevaluatedProperties: 'unknown_property',
  maxLength: 'max_length',
  minLength: 'min_length',
  maxItems: 'max_items',
  minItems: 'min_items',
  maxProperties: 'max_properties',
  minProperties: 'min_properties',
  uniqueItems: 'unique_items',
  exclusiveMaximum: 'maximum',
  exclusiveMinimum: 'minimum',
};

function makeAjv(coerce: boolean) {
  const ajv = new Ajv2020.default({ strict: false, allErrors: true, coerceTypes: coerce, useDefaults: false, validateFormats: true });
  addFormats.default(ajv);
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('binary', true);
  return ajv;
}

function toItems(errors: ErrorObject[] | null | undefined, prefix = ''): ProblemItem[] {
  return (errors ?? []).slice(0, MAX_ITEMS).map((e) => {
    const missing = e.keyword === 'required' ? `/${String((e.params as { missingProperty: string }).missingProperty)}` : '';
    const extra = e.keyword === 'additionalProperties' ? `/${String((e.params as { additionalProperty: string }).additionalProperty)}` : '';
    return {
      pointer: `${prefix}${e.instancePath}${missing}${extra}`,
      code: KEYWORD_CODES[e.keyword] ?? e.keyword.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
      message: e.message ?? 'is invalid',
    };
  });
}

interface Compiled {
  params: ValidateFunction | null;
  queryNames: string[];
  headerNames: string[];
  body: Map<string, ValidateFunction>;
}

/** Validators for every operation of a bundled document, compiled lazily and cached. */
export class RequestValidator {
  private readonly bodyAjv = makeAjv(false);
  private readonly paramAjv = makeAjv(true);
  private readonly cache = new Map<string, Compiled>();

  constructor(private readonly document: OpenApiDocument) {
    const components = { $id: 'traceloom:root', components: document.components };
    this.bodyAjv.addSchema(structuredClone(components));
    this.paramAjv.addSchema(structuredClone(components));
  }

  private compile(op: OperationModel): Compiled {
    const hit = this.cache.get(op.operationId);
    if (hit) return hit;
    const raw = this.document.paths[op.path][op.method.toLowerCase()];
    const rewrite = (schema: unknown) => JSON.parse(JSON.stringify(schema ?? {}).replace(/"#\/components\//g, '"traceloom:root#/components/'));
    const properties: Record<string, unknown> = {};
    const required: string[] = [];
    const queryNames: string[] = [];
    const headerNames: string[] = [];
    for (const p of [...(this.document.paths[op.path].parameters ?? []), ...(raw.parameters ?? [])].map((p: unknown) => resolveRef(this.document, p))) {
      const key = `${p.in}:${p.in === 'header' ? String(p.name).toLowerCase() : p.name}`;
      properties[key] = rewrite(p.schema);
      if (p.required) required.push(key);
      if (p.in === 'query') queryNames.push(p.name);
      if (p.in === 'header') headerNames.push(String(p.name).toLowerCase());
    }
    const params = queryNames.length || Object.keys(properties).length ? this.paramAjv.compile({ type: 'object', properties, required }) : null;
    const body = new Map<string, ValidateFunction>();
    const content = resolveRef(this.document, raw.requestBody)?.content ?? {};
    for (const [type, media] of Object.entries<any>(content)) {
      if (type === 'application/json' && media.schema) body.set(type, this.bodyAjv.compile(rewrite(media.schema)));
    }
    const compiled = { params, queryNames, headerNames, body };
    this.cache.set(op.operationId, compiled);
    return compiled;
  }

  /** Checks path, query and header parameters; returns the coerced query on success. */
  params(op: OperationModel, input: ParamInput): ValidationResult {
    const c = this.compile(op);
    if (!c.params) return BODY_OK; // no parameters at all: nothing to check, an empty query
    const data: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(input.path)) data[`path:${name}`] = value;
    for (const name of c.queryNames) {
      const all = input.query.getAll(name);
      if (all.length > 1)
        return {
          ok: false,
          code: 'invalid_request',
          errors: [{ pointer: '', code: 'duplicate', message: `query parameter \`${name}\` is given ${all.length} times` }],
        };
      if (all.length === 1) data[`query:${name}`] = all[0];
    }
    for (const name of c.headerNames) {
      const value = input.headers[name];
      if (typeof value === 'string') data[`header:${name}`] = value;
    }
    if (!c.params || c.params(data)) {
      const query: Record<string, unknown> = {};
      for (const name of c.queryNames) if (data[`query:${name}`] !== undefined) query[name] = data[`query:${name}`];
      return { ok: true, query };
    }
    const errors = (c.params.errors ?? []).slice(0, MAX_ITEMS).map((e) => {
      const [where, name] = (e.instancePath.split('/')[1] ?? (e.params as { missingProperty?: string }).missingProperty ?? '').split(':');
      return {
        pointer: '',
        code: KEYWORD_CODES[e.keyword] ?? e.keyword,
        message: `${where} parameter \`${name}\` ${e.keyword === 'required' ? 'is required' : e.message}`,
      };
    });
    return { ok: false, code: 'invalid_request', errors };
  }

  /** Checks a parsed JSON body against the operation's schema for that media type. */
  body(op: OperationModel, mediaType: string | null, json: unknown): ValidationResult {
    const c = this.compile(op);
    if (c.body.size === 0) return BODY_OK;
    // No body at all (no media type either). A declared non-JSON body (OTLP protobuf) also has no
    // JSON value, but it is there: the handler decodes it.
    if (json === undefined && mediaType === null)
      return { ok: false, code: 'validation_failed', errors: [{ pointer: '', code: 'required', message: 'a request body is required' }] };
    const validate = c.body.get(mediaType ?? 'application/json');
    if (!validate || validate(json)) return BODY_OK;
    return { ok: false, code: 'validation_failed', errors: toItems(validate.errors) };
  }
}
