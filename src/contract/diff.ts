/**
 * Breaking-change detection between two bundled contracts (DESIGN §3.6: additive changes stay
 * in v1, breaking ones go to /v2). Compares operations, parameters, request and response
 * schemas, security scopes and the behaviour data (error codes, plans, limits). Written here
 * because the npm diff tools found (openapi-diff, …) stop at OpenAPI 3.0 and oasdiff is a Go binary.
 * @module
 */
import type { OpenApiDocument } from './bundle.js';
import { resolveRef } from './read.js';

export type Severity = 'breaking' | 'warning' | 'info';

export interface Change {
  severity: Severity;
  /** Where: `POST /v1/ingest request body /trace_id`, `x-traceloom.errors.rate_limited`, … */
  at: string;
  message: string;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

type Schema = Record<string, any>;

/** Flattens `allOf` and follows `$ref`s, so two schemas compare by meaning, not by layout. */
function flatten(doc: OpenApiDocument, node: unknown, depth = 0): Schema {
  const s = resolveRef(doc, node) as Schema | undefined;
  if (!s || typeof s !== 'object' || depth > 20) return {};
  if (!Array.isArray(s.allOf)) return s;
  const merged: Schema = { ...s, properties: { ...(s.properties ?? {}) }, required: [...(s.required ?? [])] };
  delete merged.allOf;
  for (const part of s.allOf) {
    const p = flatten(doc, part, depth + 1);
    Object.assign(merged.properties, p.properties ?? {});
    merged.required.push(...(p.required ?? []));
    for (const k of ['type', 'additionalProperties', 'enum']) if (p[k] !== undefined && merged[k] === undefined) merged[k] = p[k];
  }
  return merged;
}

const types = (s: Schema): string[] => (s.type === undefined ? [] : Array.isArray(s.type) ? [...s.type].sort() : [s.type]);

/**
 * Compares two schemas in one direction. `request`: the client sends it (the server must keep
 * accepting what it accepted); `response`: the client reads it (it must keep getting what it got).
 */
function compareSchema(
  a: OpenApiDocument,
  b: OpenApiDocument,
  sa: unknown,
  sb: unknown,
  dir: 'request' | 'response',
  at: string,
  out: Change[],
  seen = new Set<string>(),
  depth = 0,
): void {
  if (depth > 12) return;
  const key = `${JSON.stringify(sa)}|${JSON.stringify(sb)}|${dir}`.slice(0, 400);
  if (seen.has(key)) return;
  seen.add(key);
  const x = flatten(a, sa);
  const y = flatten(b, sb);
  const tx = types(x);
  const ty = types(y);
  if (tx.length && ty.length) {
    const lost = dir === 'request' ? tx.filter((t) => !ty.includes(t)) : ty.filter((t) => !tx.includes(t));
    if (lost.length) out.push({ severity: 'breaking', at, message: `type changed from ${tx.join('|')} to ${ty.join('|')}` });
  }
  if (Array.isArray(x.enum) && Array.isArray(y.enum)) {
    const removed = x.enum.filter((v: unknown) => !y.enum.includes(v));
    const added = y.enum.filter((v: unknown) => !x.enum.includes(v));
    if (dir === 'request' && removed.length) out.push({ severity: 'breaking', at, message: `enum no longer accepts ${removed.map(String).join(', ')}` });
    if (dir === 'response' && added.length)
      out.push({ severity: 'warning', at, message: `enum may now return ${added.map(String).join(', ')}; clients with exhaustive switches must handle it` });
  }
  if (dir === 'request') {
    const tighter = (k: string, smaller: boolean) => {
      if (x[k] === undefined && y[k] !== undefined) return true;
      if (x[k] !== undefined && y[k] !== undefined) return smaller ? y[k] < x[k] : y[k] > x[k];
      return false;
    };
    for (const [k, smaller] of [
      ['maxLength', true],
      ['maxItems', true],
      ['maximum', true],
      ['minLength', false],
      ['minItems', false],
      ['minimum', false],
    ] as const) {
      if (tighter(k, smaller)) out.push({ severity: 'breaking', at, message: `\`${k}\` tightened from ${x[k] ?? 'none'} to ${y[k]}` });
    }
    if (y.pattern !== undefined && y.pattern !== x.pattern)
      out.push({ severity: 'warning', at, message: `pattern changed to ${y.pattern}; values valid before may now be refused` });
  }
  const px = (x.properties ?? {}) as Record<string, unknown>;
  const py = (y.properties ?? {}) as Record<string, unknown>;
  const rx = new Set<string>(x.required ?? []);
  const ry = new Set<string>(y.required ?? []);
  if (dir === 'request') {
    for (const name of ry) if (!rx.has(name)) out.push({ severity: 'breaking', at: `${at}/${name}`, message: 'is newly required in the request' });
    if (y.additionalProperties === false) {
      for (const name of Object.keys(px))
        if (!(name in py))
          out.push({ severity: 'breaking', at: `${at}/${name}`, message: 'was removed from the request; clients that send it are now refused' });
    }
  } else {
    for (const name of rx)
      if (!ry.has(name))
        out.push({
          severity: 'breaking',
          at: `${at}/${name}`,
          message: name in py ? 'is no longer always present in the response' : 'was removed from the response',
        });
    for (const name of Object.keys(px))
      if (!(name in py) && !rx.has(name)) out.push({ severity: 'breaking', at: `${at}/${name}`, message: 'was removed from the response' });
  }
  for (const name of Object.keys(px)) if (name in py) compareSchema(a, b, px[name], py[name], dir, `${at}/${name}`, out, seen, depth + 1);
  if (x.items !== undefined && y.items !== undefined) compareSchema(a, b, x.items, y.items, dir, `${at}[]`, out, seen, depth + 1);
}

function paramsOf(doc: OpenApiDocument, path: string, op: Record<string, any>): Map<string, Schema> {
  const all = [...(doc.paths[path].parameters ?? []), ...(op.parameters ?? [])].map((p: unknown) => resolveRef(doc, p) as Schema);
  return new Map(all.map((p) => [`${p.in}:${p.name}`, p]));
}

function scopesOf(op: Record<string, any>, doc: OpenApiDocument): string {
  return JSON.stringify(op.security ?? doc.security ?? []);
}

/** Every change from `a` (base) to `b` (head) that a client could notice, most severe first. */
export function diffContracts(a: OpenApiDocument, b: OpenApiDocument): Change[] {
  const out: Change[] = [];
  for (const [path, itemA] of Object.entries<any>(a.paths ?? {})) {
    for (const method of METHODS) {
      const opA = itemA[method];
      if (!opA) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const opB = b.paths?.[path]?.[method];
      if (!opB) {
        out.push({ severity: 'breaking', at: where, message: 'operation removed' });
        continue;
      }
      if (opA.operationId !== opB.operationId)
        out.push({
          severity: 'breaking',
          at: where,
          message: `operationId changed from ${opA.operationId} to ${opB.operationId} (generated SDK methods are named after it)`,
        });
      if (scopesOf(opA, a) !== scopesOf(opB, b))
        out.push({ severity: 'breaking', at: where, message: `security requirements changed from ${scopesOf(opA, a)} to ${scopesOf(opB, b)}` });
      if (!opA.deprecated && opB.deprecated)
        out.push({ severity: 'warning', at: where, message: 'deprecated: send Deprecation and Sunset, keep it working until the sunset date' });
      const pa = paramsOf(a, path, opA);
      const pb = paramsOf(b, path, opB);
      for (const [k, p] of pb) {
        const before = pa.get(k);
        if (p.required && !before?.required)
          out.push({ severity: 'breaking', at: `${where} parameter ${k}`, message: before ? 'became required' : 'added as required' });
        if (before) compareSchema(a, b, before.schema, p.schema, 'request', `${where} parameter ${k}`, out);
      }
      const bodyA = resolveRef(a, opA.requestBody);
      const bodyB = resolveRef(b, opB.requestBody);
      if (bodyB?.required && !bodyA?.required) out.push({ severity: 'breaking', at: `${where} request body`, message: 'became required' });
      for (const [type, media] of Object.entries<any>(bodyA?.content ?? {})) {
        const after = bodyB?.content?.[type];
        if (!after) out.push({ severity: 'breaking', at: `${where} request body`, message: `no longer accepts ${type}` });
        else compareSchema(a, b, media.schema, after.schema, 'request', `${where} request body ${type} `, out);
      }
      for (const [status, respA] of Object.entries<any>(opA.responses ?? {})) {
        const respB = opB.responses?.[status];
        if (!respB) {
          out.push({ severity: status.startsWith('2') ? 'breaking' : 'warning', at: `${where} ${status}`, message: 'response removed' });
          continue;
        }
        const ra = resolveRef(a, respA);
        const rb = resolveRef(b, respB);
        for (const [type, media] of Object.entries<any>(ra?.content ?? {})) {
          const after = rb?.content?.[type];
          if (!after) out.push({ severity: 'breaking', at: `${where} ${status}`, message: `no longer answers ${type}` });
          else compareSchema(a, b, media.schema, after.schema, 'response', `${where} ${status} ${type} `, out);
        }
      }
      for (const status of Object.keys(opB.responses ?? {})) {
        if (!(status in (opA.responses ?? {})))
          out.push({ severity: status.startsWith('2') ? 'warning' : 'info', at: `${where} ${status}`, message: 'new response status' });
      }
    }
  }
  for (const [path, itemB] of Object.entries<any>(b.paths ?? {})) {
    for (const method of METHODS)
      if (itemB[method] && !a.paths?.[path]?.[method]) out.push({ severity: 'info', at: `${method.toUpperCase()} ${path}`, message: 'operation added' });
  }
  diffBehaviour(a['x-traceloom'] ?? {}, b['x-traceloom'] ?? {}, out);
  const rank: Record<Severity, number> = { breaking: 0, warning: 1, info: 2 };
  return out.sort((p, q) => rank[p.severity] - rank[q.severity] || p.at.localeCompare(q.at));
}

/** Behaviour as data: removed error codes break clients that branch on them; tighter limits warn. */
function diffBehaviour(a: Record<string, any>, b: Record<string, any>, out: Change[]): void {
  for (const [code, e] of Object.entries<any>(a.errors ?? {})) {
    const after = b.errors?.[code];
    if (!after) out.push({ severity: 'breaking', at: `x-traceloom.errors.${code}`, message: 'error code removed; clients branch on codes' });
    else if (after.status !== e.status || after.retryable !== e.retryable) {
      out.push({
        severity: 'breaking',
        at: `x-traceloom.errors.${code}`,
        message: `status/retryable changed from ${e.status}/${e.retryable} to ${after.status}/${after.retryable}`,
      });
    }
  }
  const plansB = new Map((b.plans ?? []).map((p: any) => [p.id, p]));
  for (const p of a.plans ?? []) {
    const q: any = plansB.get(p.id);
    if (!q) {
      out.push({ severity: 'breaking', at: `x-traceloom.plans.${p.id}`, message: 'plan removed' });
      continue;
    }
    const lower = (x: unknown, y: unknown) => (x === 'unlimited' ? y !== 'unlimited' : typeof x === 'number' && typeof y === 'number' && y < x);
    if (lower(p.rate_limit?.requests_per_minute, q.rate_limit?.requests_per_minute))
      out.push({
        severity: 'warning',
        at: `x-traceloom.plans.${p.id}.rate_limit`,
        message: `requests per minute lowered from ${p.rate_limit.requests_per_minute} to ${q.rate_limit.requests_per_minute}`,
      });
    for (const group of ['quotas', 'caps']) {
      for (const [k, v] of Object.entries(p[group] ?? {})) {
        if (lower(v, q[group]?.[k]))
          out.push({ severity: 'warning', at: `x-traceloom.plans.${p.id}.${group}.${k}`, message: `lowered from ${String(v)} to ${String(q[group]?.[k])}` });
      }
    }
  }
}

/** A readable report; `breaking` is the count that should fail a check. */
export function formatChanges(changes: Change[]): { text: string; breaking: number } {
  const breaking = changes.filter((c) => c.severity === 'breaking').length;
  if (changes.length === 0) return { text: 'No changes a client could notice.', breaking };
  const lines = changes.map((c) => `${c.severity.toUpperCase().padEnd(8)} ${c.at}: ${c.message}`);
  const summary = breaking
    ? `${breaking} breaking change${breaking === 1 ? '' : 's'}: these belong in /v2 (DESIGN §3.6), not in v1.`
    : 'No breaking changes: this can ship in v1.';
  return { text: `${lines.join('\n')}\n\n${summary}`, breaking };
}
