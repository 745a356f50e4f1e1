/**
 * Reads the `x-traceloom` vocabulary (DESIGN §3.5) of a bundled contract into one typed,
 * validated {@link ContractModel}. Every rejection names the source file, the JSON pointer
 * and what is allowed there.
 * @module
 */
import type { OpenApiDocument } from './bundle.js';
import { ContractError } from './errors.js';
import type { Burst, ContractModel, ErrorDef, Limit, Meter, OperationModel, Plan, PolicyAlgorithm, PolicyScope, QuotaRule, RateLimitPolicy } from './model.js';

/** Maps a pointer in the bundle back to the file it came from (see {@link sourceMapOf}). */
export type SourceOf = (pointer: string) => { file: string; pointer: string };

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;
const SCOPES: PolicyScope[] = ['api_key', 'tenant', 'ip'];
const ALGORITHMS: PolicyAlgorithm[] = ['fixed-window', 'sliding-window', 'sliding-window-counter', 'token-bucket'];
const UNITS_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const UNITS_B: Record<string, number> = { B: 1, KB: 1024, MB: 1024 * 1024 };

/** Encodes one JSON pointer token (RFC 6901 §3). */
export function pointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Parses `60s`, `1h`, `24h`, `10s`, `1d` into seconds. */
export function parseDuration(text: unknown): number | undefined {
  const m = typeof text === 'string' ? /^(\d+)(s|m|h|d)$/.exec(text) : null;
  return m ? Number(m[1]) * UNITS_S[m[2]!]! : undefined;
}

/** Parses `5MB`, `512KB`, `1024B` into bytes. */
export function parseSize(text: unknown): number | undefined {
  const m = typeof text === 'string' ? /^(\d+)(B|KB|MB)$/.exec(text) : null;
  return m ? Number(m[1]) * UNITS_B[m[2]!]! : undefined;
}

class Reader {
  constructor(private readonly sourceOf: SourceOf) {}

  fail(pointer: string, message: string): never {
    const src = this.sourceOf(pointer);
    throw new ContractError(`${src.file}#${src.pointer}: ${message}`, src.file, src.pointer);
  }

  object(value: unknown, pointer: string, what: string): Record<string, any> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail(pointer, `${what} must be an object; found ${describe(value)}`);
    }
    return value as Record<string, any>;
  }

  string(value: unknown, pointer: string, what: string): string {
    if (typeof value !== 'string' || value.length === 0) this.fail(pointer, `${what} must be a non-empty string; found ${describe(value)}`);
    return value;
  }

  oneOf<T extends string>(value: unknown, allowed: readonly T[], pointer: string, what: string): T {
    if (!allowed.includes(value as T)) {
      this.fail(pointer, `${what} is ${describe(value)}; allowed: ${allowed.join(', ')}`);
    }
    return value as T;
  }

  count(value: unknown, pointer: string, what: string, { unlimited = false, min = 0 } = {}): Limit {
    if (unlimited && value === 'unlimited') return null;
    if (!Number.isInteger(value) || (value as number) < min) {
      this.fail(pointer, `${what} must be an integer ≥ ${min}${unlimited ? " or 'unlimited'" : ''}; found ${describe(value)}`);
    }
    return value as number;
  }

  duration(value: unknown, pointer: string, what: string): number {
    const seconds = parseDuration(value);
    if (!seconds) this.fail(pointer, `${what} must be a duration like 1s, 60s, 1h or 24h; found ${describe(value)}`);
    return seconds;
  }

  known(name: unknown, known: string[], pointer: string, what: string): string {
    if (typeof name !== 'string' || !known.includes(name)) {
      this.fail(pointer, `${what} names unknown ${describe(name)}; known: ${known.join(', ')}`);
    }
    return name;
  }
}

/** The codings an operation's `Content-Encoding` header parameter allows, besides identity. */
function contentEncodingsOf(document: OpenApiDocument, op: any): string[] {
  for (const p of (op.parameters ?? []).map((x: unknown) => resolveRef(document, x))) {
    if (p?.in === 'header' && String(p.name).toLowerCase() === 'content-encoding') {
      return ((resolveRef(document, p.schema)?.enum ?? []) as unknown[]).map(String).filter((c) => c !== 'identity');
    }
  }
  return [];
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `\`${value}\``;
  return JSON.stringify(value) ?? String(value);
}

/** Reads and validates the model from a bundled document. */
export function readModel(document: OpenApiDocument, sourceOf: SourceOf = (p) => ({ file: 'openapi.json', pointer: p })): ContractModel {
  const r = new Reader(sourceOf);
  const root = r.object(document['x-traceloom'], '/x-traceloom', '`x-traceloom`');
  const at = (...tokens: (string | number)[]) => `/x-traceloom/${tokens.map(pointerToken).join('/')}`;

  const docsBaseUrl = r.string(root.docs_base_url, at('docs_base_url'), '`docs_base_url`');
  if (!/^https:\/\/[^\s]+[^/]$/.test(docsBaseUrl)) r.fail(at('docs_base_url'), '`docs_base_url` must be an https URL without a trailing slash');

  // 1. Meters come first: plans' quotas refer to them.
  const metersRaw = r.object(root.meters, at('meters'), '`meters`');
  const meters: Record<string, Meter> = {};
  for (const [name, raw] of Object.entries(metersRaw)) {
    const m = r.object(raw, at('meters', name), `meter \`${name}\``);
    meters[name] = {
      name,
      description: r.string(m.description, at('meters', name, 'description'), `meter \`${name}\` description`),
      period: r.oneOf(m.period, ['calendar_month'] as const, at('meters', name, 'period'), `meter \`${name}\` period`),
    };
  }
  const meterNames = Object.keys(meters);

  // 2. Plans, in order; every plan states every meter and the same caps.
  if (!Array.isArray(root.plans) || root.plans.length === 0) r.fail(at('plans'), '`plans` must be a non-empty list, cheapest first');
  const plans: Plan[] = [];
  let capNames: string[] | undefined;
  root.plans.forEach((raw: unknown, i: number) => {
    const p = r.object(raw, at('plans', i), `plan #${i}`);
    const id = r.string(p.id, at('plans', i, 'id'), `plan #${i} id`);
    if (!/^[a-z][a-z0-9_]*$/.test(id)) r.fail(at('plans', i, 'id'), `plan id \`${id}\` must be lowercase snake_case`);
    if (plans.some((q) => q.id === id)) r.fail(at('plans', i, 'id'), `plan id \`${id}\` appears twice`);
    const rl = r.object(p.rate_limit, at('plans', i, 'rate_limit'), `plan \`${id}\` rate_limit`);
    const quotasRaw = r.object(p.quotas, at('plans', i, 'quotas'), `plan \`${id}\` quotas`);
    const quotas: Record<string, Limit> = {};
    for (const meter of meterNames) {
      quotas[meter] = r.count(quotasRaw[meter], at('plans', i, 'quotas', meter), `plan \`${id}\` quota for meter \`${meter}\``, { unlimited: true });
    }
    for (const extra of Object.keys(quotasRaw)) r.known(extra, meterNames, at('plans', i, 'quotas', extra), `plan \`${id}\` quotas`);
    const capsRaw = r.object(p.caps, at('plans', i, 'caps'), `plan \`${id}\` caps`);
    capNames ??= Object.keys(capsRaw);
    const caps: Record<string, Limit> = {};
    for (const cap of capNames) caps[cap] = r.count(capsRaw[cap], at('plans', i, 'caps', cap), `plan \`${id}\` cap \`${cap}\``, { unlimited: true });
    for (const extra of Object.keys(capsRaw)) r.known(extra, capNames, at('plans', i, 'caps', extra), `plan \`${id}\` caps`);
    const price = p.price_usd_month;
    if (price !== null && !(typeof price === 'number' && price >= 0))
      r.fail(at('plans', i, 'price_usd_month'), `plan \`${id}\` price_usd_month must be a number ≥ 0 or null; found ${describe(price)}`);
    if (!Array.isArray(p.features) || p.features.some((f: unknown) => typeof f !== 'string'))
      r.fail(at('plans', i, 'features'), `plan \`${id}\` features must be a list of names`);
    plans.push({
      id,
      name: r.string(p.name, at('plans', i, 'name'), `plan \`${id}\` name`),
      rank: i,
      priceUsdMonth: price,
      requestsPerMinute: r.count(rl.requests_per_minute, at('plans', i, 'rate_limit', 'requests_per_minute'), `plan \`${id}\` requests_per_minute`, {
        min: 1,
      }) as number,
      burst: rl.burst === undefined || rl.burst === null ? null : readBurst(r, rl.burst, at('plans', i, 'rate_limit', 'burst'), `plan \`${id}\` burst`),
      quotas,
      caps,
      retentionDays: r.count(p.retention_days, at('plans', i, 'retention_days'), `plan \`${id}\` retention_days`, { unlimited: true, min: 1 }),
      overage: r.oneOf(p.overage, ['hard_stop', 'continue'] as const, at('plans', i, 'overage'), `plan \`${id}\` overage`),
      features: [...p.features],
    });
  });
  const planIds = plans.map((p) => p.id);

  // 3. Policies: `limit` is a number, a per-plan map, or `plan` (the plan's requests per minute).
  const policiesRaw = r.object(root.rate_limit_policies, at('rate_limit_policies'), '`rate_limit_policies`');
  const policies: Record<string, RateLimitPolicy> = {};
  for (const [name, raw] of Object.entries(policiesRaw)) {
    const ptr = (...t: string[]) => at('rate_limit_policies', name, ...t);
    if (!/^[a-z][a-z0-9_]*$/.test(name)) r.fail(ptr(), `policy name \`${name}\` must be lowercase snake_case`);
    const p = r.object(raw, ptr(), `policy \`${name}\``);
    const windowSeconds = r.duration(p.window, ptr('window'), `policy \`${name}\` window`);
    const limits: Record<string, Limit> = {};
    if (p.limit === 'plan') {
      if (windowSeconds !== 60) r.fail(ptr('window'), `policy \`${name}\` takes its limit from the plans' requests_per_minute, so its window must be 60s`);
      for (const plan of plans) limits[plan.id] = plan.requestsPerMinute;
    } else if (typeof p.limit === 'object' && p.limit !== null) {
      for (const key of Object.keys(p.limit)) r.known(key, planIds, ptr('limit', key), `policy \`${name}\` limit`);
      for (const plan of planIds) {
        limits[plan] = r.count(p.limit[plan], ptr('limit', plan), `policy \`${name}\` limit for plan \`${plan}\``, { unlimited: true, min: 1 });
      }
    } else {
      const limit = r.count(p.limit, ptr('limit'), `policy \`${name}\` limit (a number, a map of plan → number, or \`plan\`)`, { unlimited: true, min: 1 });
      for (const plan of planIds) limits[plan] = limit;
    }
    let burst: Record<string, Burst | null> | null = null;
    if (p.burst === 'plan') {
      burst = Object.fromEntries(plans.map((plan) => [plan.id, plan.burst]));
    } else if (p.burst !== undefined && p.burst !== null) {
      const b = readBurst(r, p.burst, ptr('burst'), `policy \`${name}\` burst`);
      burst = Object.fromEntries(planIds.map((id) => [id, b]));
    }
    policies[name] = {
      name,
      description: r.string(p.description, ptr('description'), `policy \`${name}\` description`),
      scope: r.oneOf(p.scope, SCOPES, ptr('scope'), `policy \`${name}\` scope`),
      algorithm: r.oneOf(p.algorithm, ALGORITHMS, ptr('algorithm'), `policy \`${name}\` algorithm`),
      windowSeconds,
      limits,
      burst,
    };
  }
  const policyNames = Object.keys(policies);

  // 4. The error registry.
  const errorsRaw = r.object(root.errors, at('errors'), '`errors`');
  const errors: Record<string, ErrorDef> = {};
  for (const [code, raw] of Object.entries(errorsRaw)) {
    if (!/^[a-z][a-z0-9_]*$/.test(code)) r.fail(at('errors', code), `error code \`${code}\` must be lowercase snake_case`);
    const e = r.object(raw, at('errors', code), `error \`${code}\``);
    const status = e.status;
    if (!Number.isInteger(status) || status < 400 || status > 599)
      r.fail(at('errors', code, 'status'), `error \`${code}\` status must be an integer from 400 to 599; found ${describe(status)}`);
    if (typeof e.retryable !== 'boolean')
      r.fail(at('errors', code, 'retryable'), `error \`${code}\` retryable must be true or false; found ${describe(e.retryable)}`);
    errors[code] = {
      code,
      status,
      title: r.string(e.title, at('errors', code, 'title'), `error \`${code}\` title`),
      retryable: e.retryable,
      description: r.string(e.description, at('errors', code, 'description'), `error \`${code}\` description`),
    };
  }

  // 5. Operations and their x-traceloom-* keys.
  const operations: OperationModel[] = [];
  const paths = r.object(document.paths, '/paths', '`paths`');
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = (item as Record<string, any>)[method];
      if (!op) continue;
      const base = `/paths/${pointerToken(path)}/${method}`;
      const where = `${method.toUpperCase()} ${path}`;
      const rawPolicies = op['x-traceloom-rate-limit'] ?? [];
      if (!Array.isArray(rawPolicies)) r.fail(`${base}/x-traceloom-rate-limit`, `\`x-traceloom-rate-limit\` on ${where} must be a list of policy names`);
      const opPolicies = rawPolicies.map((n: unknown, i: number) =>
        r.known(n, policyNames, `${base}/x-traceloom-rate-limit/${i}`, `\`x-traceloom-rate-limit\` on ${where}`),
      );
      const quotaRaw = op['x-traceloom-quota'];
      const quotaList = quotaRaw === undefined ? [] : Array.isArray(quotaRaw) ? quotaRaw : [quotaRaw];
      const quotas: QuotaRule[] = quotaList.map((q: unknown, i: number) => {
        const ptr = `${base}/x-traceloom-quota${Array.isArray(quotaRaw) ? `/${i}` : ''}`;
        const o = r.object(q, ptr, `\`x-traceloom-quota\` on ${where}`);
        const rule: QuotaRule = {
          meter: r.known(o.meter, meterNames, `${ptr}/meter`, `\`x-traceloom-quota\` on ${where}`),
          count: r.oneOf(o.count, ['per_request', 'per_item'] as const, `${ptr}/count`, `\`x-traceloom-quota\` count on ${where}`),
        };
        if (rule.count === 'per_item') rule.items = r.string(o.items, `${ptr}/items`, `\`x-traceloom-quota\` items (the body path to count) on ${where}`);
        if (o.distinct !== undefined) rule.distinct = r.string(o.distinct, `${ptr}/distinct`, `\`x-traceloom-quota\` distinct on ${where}`);
        return rule;
      });
      const cap =
        op['x-traceloom-cap'] === undefined
          ? null
          : r.known(op['x-traceloom-cap'], capNames ?? [], `${base}/x-traceloom-cap`, `\`x-traceloom-cap\` on ${where}`);
      const plan =
        op['x-traceloom-plan'] === undefined ? null : r.known(op['x-traceloom-plan'], planIds, `${base}/x-traceloom-plan`, `\`x-traceloom-plan\` on ${where}`);
      let maxBodyBytes: number | null = null;
      if (op['x-traceloom-max-body'] !== undefined) {
        maxBodyBytes =
          parseSize(op['x-traceloom-max-body']) ??
          r.fail(
            `${base}/x-traceloom-max-body`,
            `\`x-traceloom-max-body\` on ${where} must be a size like 64KB, 512KB or 5MB; found ${describe(op['x-traceloom-max-body'])}`,
          );
      }
      let maxItems: OperationModel['maxItems'] = null;
      if (op['x-traceloom-max-items'] !== undefined) {
        const mi = r.object(op['x-traceloom-max-items'], `${base}/x-traceloom-max-items`, `\`x-traceloom-max-items\` on ${where}`);
        maxItems = {
          field: r.string(mi.field, `${base}/x-traceloom-max-items/field`, `\`x-traceloom-max-items\` field on ${where}`),
          max: r.count(mi.max, `${base}/x-traceloom-max-items/max`, `\`x-traceloom-max-items\` max on ${where}`, { min: 1 }) as number,
        };
      }
      const security: Record<string, string[]>[] = op.security ?? document.security ?? [];
      const errorCodes = new Set<string>();
      for (const response of Object.values<any>(op.responses ?? {})) {
        const resolved = resolveRef(document, response);
        const examples = resolved?.content?.['application/problem+json']?.examples ?? {};
        for (const [name, ex] of Object.entries<any>(examples)) {
          const value = resolveRef(document, ex)?.value;
          errorCodes.add(typeof value?.code === 'string' ? value.code : name);
        }
      }
      for (const code of errorCodes) {
        if (!errors[code]) r.fail(`${base}/responses`, `${where} documents error code \`${code}\`, which is not in x-traceloom.errors`);
      }
      operations.push({
        operationId: r.string(op.operationId, `${base}/operationId`, `operationId of ${where}`),
        method: method.toUpperCase(),
        path,
        tag: Array.isArray(op.tags) && typeof op.tags[0] === 'string' ? op.tags[0] : r.fail(`${base}/tags`, `${where} needs exactly one tag`),
        summary: r.string(op.summary, `${base}/summary`, `summary of ${where}`),
        policies: opPolicies,
        quotas,
        cap,
        plan,
        maxBodyBytes,
        maxItems,
        security,
        errorCodes: [...errorCodes].sort(),
        deprecated: op.deprecated === true,
        requestContentTypes: Object.keys(resolveRef(document, op.requestBody)?.content ?? {}),
        contentEncodings: contentEncodingsOf(document, op),
      });
    }
  }

  const info = r.object(document.info, '/info', '`info`');
  return {
    title: r.string(info.title, '/info/title', 'info.title'),
    version: r.string(info.version, '/info/version', 'info.version'),
    docsBaseUrl,
    plans,
    policies,
    meters,
    capNames: capNames ?? [],
    errors,
    operations,
  };
}

function readBurst(r: Reader, raw: unknown, pointer: string, what: string): Burst {
  const b = r.object(raw, pointer, what);
  const multiplier = b.multiplier;
  if (typeof multiplier !== 'number' || multiplier <= 1)
    r.fail(`${pointer}/multiplier`, `${what} multiplier must be a number > 1; found ${describe(multiplier)}`);
  return { multiplier, seconds: r.duration(b.duration, `${pointer}/duration`, `${what} duration`) };
}

/** Follows a local `$ref` (`#/components/...`) in a bundled document. */
export function resolveRef(document: OpenApiDocument, node: any, depth = 0): any {
  if (!node || typeof node !== 'object' || typeof node.$ref !== 'string' || depth > 32) return node;
  if (!node.$ref.startsWith('#/')) return node;
  const target = node.$ref
    .slice(2)
    .split('/')
    .map((t: string) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc: any, key: string) => (acc == null ? undefined : acc[key]), document);
  return resolveRef(document, target, depth + 1);
}
