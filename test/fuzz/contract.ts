/**
 * The fuzz suite's oracle: does a response conform to the contract? Status declared for the
 * operation, body valid against the declared schema for that status and media type, declared
 * headers valid against their schemas, every error an RFC 9457 problem with a registered code
 * whose status is the registry's, rate-limit headers present where DESIGN §3.4 requires them
 * and consistent with each other (the conformance suite's `expectConsistent`).
 *
 * Schemas are compiled with its own ajv (2020-12 + ajv-formats, the same configuration as
 * src/http/validate.ts) rather than through RequestValidator, so a mistake in the pipeline's
 * validator cannot hide itself.
 * @module
 */
import Ajv2020 from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { ContractModel, OpenApiDocument, OperationModel } from '../../src/contract/index.js';
import { expectConsistent, type Call } from '../conformance/suite.js';
import { deref } from './schema.js';

type Schema = Record<string, any>;

/** Compiles any schema of the bundled document (refs into components resolve). */
export class SchemaCheck {
  private readonly ajv = new Ajv2020.default({ strict: false, allErrors: true, validateFormats: true });
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(readonly document: OpenApiDocument) {
    addFormats.default(this.ajv);
    this.ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 });
    this.ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
    this.ajv.addFormat('double', { type: 'number', validate: () => true });
    this.ajv.addFormat('binary', true);
    this.ajv.addSchema({ $id: 'fuzz:root', components: structuredClone(document.components) });
  }

  /** The validator for `schema`; compiled once per distinct schema. */
  validator(schema: Schema): ValidateFunction {
    const text = JSON.stringify(schema).replace(/"#\/components\//g, '"fuzz:root#/components/');
    let v = this.cache.get(text);
    if (!v) {
      v = this.ajv.compile(JSON.parse(text));
      this.cache.set(text, v);
    }
    return v;
  }

  /** Errors of `value` against `schema` as short strings; empty when valid. */
  errors(schema: Schema, value: unknown): string[] {
    const v = this.validator(schema);
    if (v(value)) return [];
    return (v.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
  }
}

/** A response as the fuzz suite sees it: the conformance suite's `Call` plus the raw text. */
export interface Observed extends Call {
  text: string;
}

export interface CheckOptions {
  /** The server stubs: 501 `not_implemented` (registry scope `server_stub`) is allowed for operations without a handler. */
  stub?: boolean;
  /** The request asked for this status (`Prefer: code=503` on the mock): a 5xx is then the answer, not a fault. */
  requested?: number;
}

/** Problem codes answered before the caller is known (steps 3–6), so without rate-limit headers. */
const BEFORE_POLICY = new Set([
  'not_found',
  'payload_too_large',
  'unsupported_media_type',
  'malformed_json',
  'batch_too_large',
  'invalid_request',
  'missing_credentials',
  'invalid_api_key',
  'expired_token',
  'insufficient_scope',
  'forbidden',
]);

const RATE_LIMIT_HEADERS = ['ratelimit', 'ratelimit-policy', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'x-ratelimit-policy'];

/** Checks responses against the contract; `violations` lists every broken rule. */
export class ResponseChecker {
  readonly schemas: SchemaCheck;

  constructor(
    readonly document: OpenApiDocument,
    readonly model: ContractModel,
  ) {
    this.schemas = new SchemaCheck(document);
  }

  private operationOf(op: OperationModel): Schema {
    return this.document.paths[op.path][op.method.toLowerCase()];
  }

  /** The request body schema of `op` for JSON, or null. */
  requestSchema(op: OperationModel): Schema | null {
    const body = this.operationOf(op).requestBody;
    return body ? (deref(this.document, body).content?.['application/json']?.schema ?? null) : null;
  }

  /** Every rule `r` breaks, as sentences; empty when it conforms. */
  violations(op: OperationModel, r: Observed, options: CheckOptions = {}): string[] {
    const out: string[] = [];
    const where = `${op.method} ${op.path} → ${r.status}`;
    const code: string | undefined = r.body && typeof r.body === 'object' ? r.body.code : undefined;
    const stubOnly = options.stub && r.status === 501 && code === 'not_implemented';
    const declared = this.operationOf(op).responses ?? {};
    const response = declared[String(r.status)] ? deref(this.document, declared[String(r.status)]) : null;
    if (!response && !stubOnly) out.push(`${where}: status not declared (declared: ${Object.keys(declared).join(', ')})`);
    if (r.status >= 500 && !stubOnly && r.status !== options.requested) out.push(`${where}: a 5xx with chaos off: ${r.text.slice(0, 300)}`);

    const requestId = r.headers.get('x-request-id');
    if (!requestId || !/^[A-Za-z0-9_-]{8,64}$/.test(requestId)) out.push(`${where}: X-Request-Id missing or malformed (${requestId})`);

    // Body and media type.
    const mediaType = (r.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (r.status === 204 || r.status === 304) {
      if (r.text.length > 0) out.push(`${where}: a body on a ${r.status}`);
    } else if (response) {
      const content = response.content ?? {};
      const media = content[mediaType];
      if (!media) out.push(`${where}: Content-Type ${mediaType || '(none)'} not declared (declared: ${Object.keys(content).join(', ') || 'no body'})`);
      else if (media.schema && mediaType.endsWith('json')) {
        if (typeof r.body !== 'object' || r.body === null) out.push(`${where}: body is not JSON: ${r.text.slice(0, 200)}`);
        else for (const e of this.schemas.errors(media.schema, r.body)) out.push(`${where}: body ${e}`);
      }
    }

    // Problems (RFC 9457) with registered codes.
    if (r.status >= 400) {
      if (mediaType !== 'application/problem+json') out.push(`${where}: an error that is not application/problem+json (${mediaType})`);
      const def = code ? this.model.errors[code] : undefined;
      if (!def) out.push(`${where}: problem code ${String(code)} is not in the registry`);
      else {
        if (def.status !== r.status) out.push(`${where}: code ${code} is registered with status ${def.status}`);
        if (r.body.status !== r.status) out.push(`${where}: problem status member ${r.body.status}`);
        if (r.body.retryable !== def.retryable) out.push(`${where}: retryable ${r.body.retryable}, registry says ${def.retryable}`);
        if (r.body.type !== `${this.model.docsBaseUrl}/errors#${code}`) out.push(`${where}: type ${r.body.type}`);
        if (!stubOnly && !op.errorCodes.includes(code!))
          out.push(`${where}: code ${code} is not documented for this operation (documented: ${op.errorCodes.join(', ')})`);
      }
      if (r.body?.request_id !== requestId) out.push(`${where}: request_id ${r.body?.request_id} ≠ X-Request-Id ${requestId}`);
    }

    // Declared headers that are present must match their schemas.
    for (const [name, ref] of Object.entries<Schema>(response?.headers ?? {})) {
      const value = r.headers.get(name);
      if (value === null) continue;
      const schema = deref(this.document, ref).schema ?? {};
      const resolved = deref(this.document, schema);
      const typed = resolved.type === 'integer' || resolved.type === 'number' ? (/^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value) : value;
      for (const e of this.schemas.errors(schema, typed)) out.push(`${where}: header ${name}: ${JSON.stringify(value)} ${e}`);
    }
    if ((r.status === 429 || r.status === 503) && r.headers.get('retry-after') === null) out.push(`${where}: no Retry-After`);
    if (
      r.headers.get('retry-after') !== null &&
      r.body?.retry_after_seconds !== undefined &&
      String(r.body.retry_after_seconds) !== r.headers.get('retry-after')
    ) {
      out.push(`${where}: Retry-After ${r.headers.get('retry-after')} ≠ retry_after_seconds ${r.body.retry_after_seconds}`);
    }

    // Rate-limit headers (DESIGN §3.4): on every answer of a rate-limited operation once the caller is known; never elsewhere.
    const present = RATE_LIMIT_HEADERS.filter((h) => r.headers.get(h) !== null);
    if (op.policies.length === 0) {
      if (present.length) out.push(`${where}: rate-limit headers on an operation without policies: ${present.join(', ')}`);
    } else if (present.length > 0 || r.status < 400 || (code && !BEFORE_POLICY.has(code))) {
      if (present.length !== RATE_LIMIT_HEADERS.length) out.push(`${where}: rate-limit headers incomplete: has ${present.join(', ') || 'none'}`);
      else {
        try {
          expectConsistent(r);
        } catch (err) {
          out.push(`${where}: rate-limit headers disagree: ${(err as Error).message.split('\n')[0]}`);
        }
      }
    }
    return out;
  }
}
