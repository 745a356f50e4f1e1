/**
 * Requests for every operation, generated from the contract: valid ones (path, query and header
 * parameters and the JSON body from their schemas) and mutated ones (one thing broken: a
 * required member dropped, a wrong type, an over-long string, an extra or `__proto__` member, a
 * huge number, an out-of-range or malformed parameter). For a mutated request the oracle says
 * which problem the pipeline must answer, from the pipeline's documented step order
 * (413 before 400 parameters before 422 body).
 * @module
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { OpenApiDocument, OperationModel } from '../../src/contract/index.js';
import type { Observed, SchemaCheck } from './contract.js';
import { arbitraryOf, deref, type Hints } from './schema.js';

type Schema = Record<string, any>;

/** One request, before serialisation. */
export interface RequestParts {
  path: Record<string, string>;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  /** The JSON body; undefined sends none. */
  body?: unknown;
  /** A JSON literal to put where the body holds the string {@link RAW}, e.g. `1e309`. */
  raw?: string;
  /** How the key is sent. */
  auth: 'bearer' | 'x-api-key';
}

/** A mutated request with what was done to it. */
export interface Mutated {
  parts: RequestParts;
  mutation: string;
}

/** What the pipeline must answer to a mutated request, or null when the mutation left it valid. */
export interface Expected {
  status: number;
  code: string;
}

interface Param {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

/** Marks where {@link RequestParts.raw} goes. */
export const RAW = '@@fuzz-raw-literal@@';
const DEFAULT_MAX_BODY = 1024 * 1024;

const IDEMPOTENCY_POOL = ['fuzz-idem-1', 'fuzz-idem-2'];
const INVALID_INTEGERS = ['-1', '0', '101', '-2147483649', '2147483648', '1e309', '-1e309', '1.5', 'abc', '', '9'.repeat(400), 'NaN', 'Infinity'];
const INVALID_DATES = ['yesterday', '2026-02-30T00:00:00Z', '2026-03-03', '2026-03-03T25:00:00Z', '0', "2026-03-03T12:00:00Z'--"];
const INVALID_STRINGS = ['!', 'a b', '../../etc/passwd', '\u0000', 'ä', '<script>', "' OR 1=1 --", '%', '/', 'x'.repeat(300), 'x'.repeat(3000)];
const HUGE_NUMBERS = ['1e309', '-1e309', '9007199254740993', '1e21', '-1', '123456789012345678901234567890', '1.5', '-0', '4.9e-324'];
const EXTRA_KEYS = ['zz_extra', '__proto__', 'constructor', 'prototype'];
const LONG_LENGTHS = [65, 129, 257, 2049, 10_001, 100_001, 600_000];

function clone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

/** Every path to a node of a JSON value, the root (`[]`) first. */
export function pathsOf(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...prefix, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, k], out);
  return out;
}

function at(value: unknown, path: (string | number)[]): unknown {
  return path.reduce<any>((node, key) => node?.[key], value);
}

/** Returns `root` with the node at `path` replaced (`undefined` removes it). */
function replaced(root: unknown, path: (string | number)[], next: unknown): unknown {
  if (path.length === 0) return next;
  const copy = clone(root) as any;
  const parent = at(copy, path.slice(0, -1)) as any;
  const key = path[path.length - 1]!;
  if (next === undefined) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else Object.defineProperty(parent, key, { value: next, enumerable: true, writable: true, configurable: true });
  return copy;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Generates requests for the operations of one contract. */
export class RequestFactory {
  private readonly valids = new Map<string, fc.Arbitrary<RequestParts>>();

  constructor(
    readonly document: OpenApiDocument,
    readonly schemas: SchemaCheck,
    private readonly hints: Hints = {},
  ) {}

  /** The operation's parameters, resolved. */
  parameters(op: OperationModel): Param[] {
    const item = this.document.paths[op.path];
    return [...(item.parameters ?? []), ...(item[op.method.toLowerCase()].parameters ?? [])]
      .map((p: Schema) => deref(this.document, p))
      .map((p: Schema) => ({ name: p.name, in: p.in, required: p.required === true, schema: p.schema ?? {} }));
  }

  /** The JSON request body schema, or null. */
  bodySchema(op: OperationModel): Schema | null {
    const body = this.document.paths[op.path][op.method.toLowerCase()].requestBody;
    return body ? (deref(this.document, body).content?.['application/json']?.schema ?? null) : null;
  }

  /** Requests the contract says are valid. */
  valid(op: OperationModel): fc.Arbitrary<RequestParts> {
    const hit = this.valids.get(op.operationId);
    if (hit) return hit;
    const params = this.parameters(op);
    const group = (where: Param['in']) => {
      const list = params.filter((p) => p.in === where);
      const model = Object.fromEntries(
        list.map((p) => {
          let arb = arbitraryOf(this.document, p.schema, { hints: this.hints }).map((v) => String(v));
          if (p.name === 'Idempotency-Key') arb = fc.oneof(fc.constantFrom(...IDEMPOTENCY_POOL), arb);
          return [p.name, arb];
        }),
      );
      return fc.record(model, { requiredKeys: list.filter((p) => p.required).map((p) => p.name) }) as fc.Arbitrary<Record<string, string>>;
    };
    const schema = this.bodySchema(op);
    const requestId = fc.option(fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/), fc.stringMatching(/^[\x21-\x7E]{0,80}$/)), { nil: undefined });
    const arb = fc
      .record({
        path: group('path'),
        query: group('query'),
        headers: fc.tuple(group('header'), requestId).map(([h, id]) => (id === undefined ? { ...h } : { ...h, 'X-Request-Id': id })),
        body: schema ? arbitraryOf(this.document, schema, { hints: this.hints }) : fc.constant(undefined),
        auth: fc.constantFrom<RequestParts['auth']>('bearer', 'x-api-key'),
      })
      .map((r) => ({ ...r, path: { ...r.path }, query: { ...r.query } }));
    this.valids.set(op.operationId, arb);
    return arb;
  }

  /**
   * Valid requests that ask the mock for Prism's answer (DESIGN §5): `Prefer: code=…` or
   * `example=…` (names from the contract's own examples). Not `dynamic=true`: json-schema-faker
   * (inside Prism) ignores `maxProperties` on `Attributes` and takes ~2.4 s and 1.6 MB for one
   * dynamic Trace, so those answers neither conform nor fit a test budget (see the report of issue 7).
   */
  preferred(op: OperationModel): fc.Arbitrary<RequestParts> {
    const responses = this.document.paths[op.path][op.method.toLowerCase()].responses ?? {};
    const choices: string[] = [];
    for (const [status, ref] of Object.entries<Schema>(responses)) {
      choices.push(`code=${status}`);
      for (const media of Object.values<Schema>(deref(this.document, ref).content ?? {})) {
        for (const name of Object.keys(media.examples ?? {})) {
          choices.push(`code=${status}, example=${name}`);
          // Without `code`, Prism looks the example up in the first 2xx response only.
          if (Number(status) < 300) choices.push(`example=${name}`);
        }
      }
    }
    return fc.tuple(this.valid(op), fc.constantFrom(...choices)).map(([parts, prefer]) => ({ ...parts, headers: { ...parts.headers, Prefer: prefer } }));
  }

  /** Valid requests with one thing broken. */
  mutated(op: OperationModel): fc.Arbitrary<Mutated> {
    const params = this.parameters(op);
    const hasBody = this.bodySchema(op) !== null;
    return this.valid(op).chain((parts) => {
      const options: fc.Arbitrary<Mutated>[] = [];
      if (hasBody) options.push(this.bodyMutation(parts));
      const query = params.filter((p) => p.in === 'query');
      if (query.length) options.push(this.queryMutation(parts, query));
      const path = params.filter((p) => p.in === 'path');
      if (path.length) options.push(this.paramMutation(parts, path, 'path'));
      const headers = params.filter((p) => p.in === 'header');
      if (headers.length) options.push(this.paramMutation(parts, headers, 'headers'));
      // Nothing to break: an undeclared query parameter, which is ignored.
      if (!options.length)
        options.push(fc.constant({ parts: { ...parts, query: { ...parts.query, fuzz_unknown: '1' } }, mutation: 'unknown query parameter' }));
      return fc.oneof(...options);
    });
  }

  private bodyMutation(parts: RequestParts): fc.Arbitrary<Mutated> {
    const body = parts.body;
    return fc.constantFrom(...pathsOf(body)).chain((path) => {
      const node = at(body, path);
      const where = `/${path.join('/')}`;
      const with_ = (next: unknown, mutation: string, raw?: string): Mutated => ({
        parts: { ...parts, body: replaced(body, path, next), raw },
        mutation: `${mutation} at ${where}`,
      });
      const kinds: fc.Arbitrary<Mutated>[] = [
        fc
          .constantFrom<unknown>(123, 'str', true, null, [], {})
          .filter((v) => typeName(v) !== typeName(node))
          .map((v) => with_(v, `wrong type (${typeName(v)} for ${typeName(node)})`)),
        fc.constantFrom(...HUGE_NUMBERS).map((lit) => with_(RAW, `number ${lit}`, lit)),
      ];
      if (path.length > 0) kinds.push(fc.constant(with_(undefined, 'dropped')));
      if (typeof node === 'string') kinds.push(fc.constantFrom(...LONG_LENGTHS).map((n) => with_('x'.repeat(n), `string of ${n}`)));
      if (node && typeof node === 'object' && !Array.isArray(node)) {
        kinds.push(
          fc.constantFrom(...EXTRA_KEYS).map((k) => {
            const next = clone(node) as Record<string, unknown>;
            Object.defineProperty(next, k, { value: { polluted: 'yes' }, enumerable: true, writable: true, configurable: true });
            return with_(next, `extra member ${k}`);
          }),
        );
      }
      return fc.oneof(...kinds);
    });
  }

  private queryMutation(parts: RequestParts, query: Param[]): fc.Arbitrary<Mutated> {
    return fc.constantFrom(...query).chain((p) => {
      const s = deref(this.document, p.schema);
      const bad = s.type === 'integer' ? INVALID_INTEGERS : s.format === 'date-time' ? INVALID_DATES : INVALID_STRINGS;
      return fc.oneof<fc.Arbitrary<Mutated>[]>(
        fc
          .constantFrom(...bad)
          .map((v) => ({ parts: { ...parts, query: { ...parts.query, [p.name]: v } }, mutation: `query ${p.name}=${JSON.stringify(v.slice(0, 40))}` })),
        fc.constant<Mutated>({
          parts: { ...parts, query: { ...parts.query, [p.name]: [String(parts.query[p.name] ?? 'c1'), 'c2'] } },
          mutation: `query ${p.name} given twice`,
        }),
      );
    });
  }

  private paramMutation(parts: RequestParts, list: Param[], where: 'path' | 'headers'): fc.Arbitrary<Mutated> {
    // Header values must be sendable (visible ASCII and spaces); path values are percent-encoded.
    const values = where === 'headers' ? ['', ' ', 'a b', 'x'.repeat(300)] : INVALID_STRINGS.filter((v) => !/^\.+$/.test(v));
    return fc.tuple(fc.constantFrom(...list), fc.constantFrom(...values)).map(([p, v]) => ({
      parts: { ...parts, [where]: { ...parts[where], [p.name]: v } },
      mutation: `${where === 'path' ? 'path' : 'header'} ${p.name}=${JSON.stringify(v.slice(0, 40))}`,
    }));
  }

  /** The body as sent. */
  bodyText(parts: RequestParts): string | undefined {
    if (parts.body === undefined) return undefined;
    const text = JSON.stringify(parts.body);
    return parts.raw === undefined ? text : text.replace(JSON.stringify(RAW), parts.raw);
  }

  /** The pipeline's answer to a request, from its step order; null when the request is valid. */
  expected(op: OperationModel, parts: RequestParts): Expected | null {
    const text = this.bodyText(parts);
    if (text !== undefined && Buffer.byteLength(text) > (op.maxBodyBytes ?? DEFAULT_MAX_BODY)) return { status: 413, code: 'payload_too_large' };
    // A content coding the operation does not decode is refused with the body (step 4), before parameters.
    const coding = parts.headers['Content-Encoding'];
    if (coding !== undefined) {
      const codings = coding
        .split(',')
        .map((c) => c.trim().toLowerCase())
        .filter((c) => c && c !== 'identity');
      if (codings.length > 1 || (codings.length === 1 && !op.contentEncodings.includes(codings[0]!))) return { status: 415, code: 'unsupported_media_type' };
    }
    for (const p of this.parameters(op)) {
      const source = p.in === 'path' ? parts.path : p.in === 'query' ? parts.query : parts.headers;
      const value = source[p.name];
      if (value === undefined) {
        if (p.required) return { status: 400, code: 'invalid_request' };
        continue;
      }
      if (Array.isArray(value)) return { status: 400, code: 'invalid_request' };
      const s = deref(this.document, p.schema);
      // Query strings are coerced to integers only when they are integers; ajv's looser
      // coercion agrees on every value the mutations send.
      const typed = s.type === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
      if (this.schemas.errors(p.schema, typed).length) return { status: 400, code: 'invalid_request' };
    }
    const schema = this.bodySchema(op);
    if (schema && text !== undefined && this.schemas.errors(schema, JSON.parse(text)).length) return { status: 422, code: 'validation_failed' };
    return null;
  }

  /** Sends the request to `baseUrl` with `key`; resolves the response with its parsed body. */
  async send(baseUrl: string, op: OperationModel, parts: RequestParts, key: string | null): Promise<Observed> {
    let path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(parts.path[name] ?? '').replace(/\./g, '%2E'));
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(parts.query)) for (const one of [v].flat()) search.append(k, one);
    if ([...search.keys()].length) path += `?${search}`;
    const headers: Record<string, string> = { ...parts.headers };
    if (key) {
      if (parts.auth === 'bearer') headers.authorization = `Bearer ${key}`;
      else headers['x-api-key'] = key;
    }
    const json = this.bodyText(parts);
    if (json !== undefined) headers['content-type'] = 'application/json';
    // A generated `Content-Encoding: gzip` header gets a gzip body, as a real client would send.
    const body = json !== undefined && /^\s*gzip\s*$/i.test(headers['Content-Encoding'] ?? '') ? gzipSync(json) : json;
    const res = await fetch(`${baseUrl}${path}`, { method: op.method, headers, body, redirect: 'manual' });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }
}
