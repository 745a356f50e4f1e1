/**
 * The Authentication guide: the security schemes, how to send each, the scopes every operation
 * needs, the public operations, and the errors a caller meets (all from the contract).
 * @module
 */
import type { OperationModel } from '../../contract/index.js';
import { block, blocks, code, list, table } from '../format.js';
import { errorLink, errorsWhere, operationLink, type Guide, type GuideContext } from './context.js';

/** How a scheme is sent, from its OpenAPI security-scheme object. */
function howToSend(scheme: any): string {
  if (scheme?.type === 'http' && String(scheme.scheme).toLowerCase() === 'bearer') {
    return `Authorization: Bearer <${scheme.bearerFormat ?? 'token'}>`;
  }
  if (scheme?.type === 'http' && String(scheme.scheme).toLowerCase() === 'basic') return 'Authorization: Basic <base64>';
  if (scheme?.type === 'apiKey') return scheme.in === 'header' ? `${scheme.name}: <key>` : `${scheme.in} ${scheme.name}`;
  return String(scheme?.type ?? 'unknown');
}

/** Scope → operations that accept a credential with that scope, in contract order. */
function scopes(ops: OperationModel[]): Map<string, OperationModel[]> {
  const out = new Map<string, OperationModel[]>();
  for (const op of ops) {
    const seen = new Set<string>();
    for (const requirement of op.security) for (const s of Object.values(requirement).flat()) seen.add(s);
    for (const s of seen) out.set(s, [...(out.get(s) ?? []), op]);
  }
  return out;
}

export const authentication: Guide = {
  slug: 'authentication',
  title: 'Authentication',
  summary: 'The security schemes, how to send a key or a session token, which scope each operation needs, and the authentication errors.',
  body(ctx: GuideContext): string {
    const { model, document } = ctx;
    const schemes = Object.entries<any>(document.components?.securitySchemes ?? {});
    const publicOps = model.operations.filter((op) => op.security.length === 0);
    const byScope = scopes(model.operations);
    const usedBy = (name: string) => model.operations.filter((op) => op.security.some((r) => name in r));
    const server = document.servers?.[0]?.url ?? '';
    const sample = model.operations.find((op) => op.method === 'GET' && op.security.length > 0 && !op.path.includes('{') && op.plan === null);
    const firstBearer = schemes.find(([, s]) => s?.type === 'http' && String(s.scheme).toLowerCase() === 'bearer');
    const authErrors = errorsWhere(model, (e) => e.status === 401 || e.status === 403);

    return blocks(
      `Every operation except ${publicOps.length === 0 ? 'none' : list(publicOps.map((op) => operationLink(ctx, op)))} needs a credential. ` +
        `Send exactly one of the schemes below on every request; credentials are never accepted in the query string.`,
      '## Schemes',
      table(
        ['Scheme', 'Send it as', 'Operations'],
        schemes.map(([name, s]) => [code(name), code(howToSend(s)), String(usedBy(name).length)]),
      ),
      ...schemes.map(([name, s]) => blocks(`### ${name}`, String(s?.description ?? '').trim())),
      sample &&
        firstBearer &&
        blocks(
          `For example, with the ${code(firstBearer[0])} scheme:`,
          block('sh', `curl ${server}${sample.path} \\\n  -H "Authorization: Bearer $TRACELOOM_API_KEY"`),
        ),
      '## Scopes',
      'A credential must carry the scope an operation lists. Each operation below accepts a key with the scope in the first column; ' +
        'where an operation lists more than one security requirement, any one of them is enough.',
      table(
        ['Scope', 'Operations'],
        [...byScope].map(([scope, ops]) => [code(scope), ops.map((op) => operationLink(ctx, op, op.operationId)).join(', ')]),
      ),
      '## Which operations accept which scheme',
      table(
        ['Operation', 'Endpoint', 'Accepted'],
        model.operations.map((op) => [
          operationLink(ctx, op, op.operationId),
          code(`${op.method} ${op.path}`),
          op.security.length === 0
            ? 'public: no credential'
            : op.security
                .map((r) =>
                  Object.entries(r)
                    .map(([n, sc]) => (sc.length ? `${n} (${sc.join(', ')})` : n))
                    .join(' + '),
                )
                .join(' or '),
        ]),
      ),
      '## Errors',
      'A request without a usable credential, or with one that may not perform the operation, is refused before rate limits and quotas are checked (so it consumes neither):',
      table(
        ['Code', 'Status', 'Meaning'],
        authErrors.map((e) => [errorLink(ctx, e.code), String(e.status), e.description]),
      ),
    );
  },
};
