/**
 * One operation as Markdown (`operations/<operationId>.md`): endpoint, authentication, the limits
 * that apply on every plan (policies, bursts, quotas, plan gate, caps, body size), parameters,
 * request and response fields with examples, and the error codes it returns.
 *
 * Why not `@scalar/openapi-to-markdown`: it requires Node ≥ 22 (we run 20), pulls ~160 packages
 * (~100 MB), labels our 3.1 document "OpenAPI 3.2.0" after upgrading it, escapes backticks inside
 * descriptions, and knows nothing of `x-traceloom` — the limits, quotas and plan gates that are the
 * point of these pages. This renderer is small, deterministic and reads the model.
 * @module
 */
import type { ContractModel, OpenApiDocument, OperationModel } from '../contract/index.js';
import { block, blocks, bytes, code, count, duration, link, table } from './format.js';
import { planName, resolve } from './guides/context.js';
import { limitersOf } from './limits.js';
import type { Linker } from './links.js';
import { describe, fieldRows, typeLabel } from './schema.js';

interface OperationContext {
  model: ContractModel;
  document: OpenApiDocument;
  /** Markdown links (to the errors guide and other operations). */
  links: Linker;
}

function operationObject(document: OpenApiDocument, op: OperationModel): { item: any; operation: any } {
  const item = document.paths?.[op.path] ?? {};
  return { item, operation: item[op.method.toLowerCase()] ?? {} };
}

function firstExample(media: any): unknown {
  if (!media) return undefined;
  if (media.example !== undefined) return media.example;
  const first = Object.values<any>(media.examples ?? {})[0];
  return first?.value;
}

function authSection(ctx: OperationContext, op: OperationModel): string {
  if (op.security.length === 0) return 'Public: no credential needed.';
  const alternatives = op.security.map((r) =>
    Object.entries(r)
      .map(([scheme, scopes]) => `${code(scheme)}${scopes.length ? ` with scope ${scopes.map((s) => code(s)).join(', ')}` : ''}`)
      .join(' and '),
  );
  return `Any one of: ${alternatives.join('; ')}. See ${link('Authentication', ctx.links.guide('authentication', 'Authentication'))}.`;
}

function limitsSection(ctx: OperationContext, op: OperationModel): string {
  const { model } = ctx;
  const names = [...new Set(model.plans.flatMap((plan) => limitersOf(model, op, plan).map((l) => l.name)))];
  const lines: string[] = [];
  if (names.length === 0) lines.push('Not rate-limited: responses carry no rate-limit headers.');
  const quotas = op.quotas.map(
    (q) =>
      `${code(q.meter)}: ${q.count === 'per_request' ? '1 per request' : `1 per item of ${code(q.items ?? '')}${q.distinct ? ` (distinct ${code(q.distinct)})` : ''}`}`,
  );
  if (quotas.length) lines.push(`- Monthly meters: ${quotas.join('; ')}.`);
  if (op.plan) lines.push(`- Lowest plan: ${planName(model, op.plan)}.`);
  if (op.cap)
    lines.push(`- Counts against the plan's ${code(op.cap)} cap: ${model.plans.map((p) => `${p.name} ${count(p.caps[op.cap!] ?? null)}`).join(', ')}.`);
  if (op.maxBodyBytes !== null) lines.push(`- Maximum body: ${bytes(op.maxBodyBytes)}.`);
  if (op.maxItems) lines.push(`- At most ${count(op.maxItems.max)} items in ${code(op.maxItems.field)}.`);
  return blocks(
    names.length > 0 &&
      blocks(
        `Requests per window, per plan (every limiter must admit; see ${link('Rate limits and plans', ctx.links.guide('rate-limits', 'Rate limits and plans'))}):`,
        table(
          ['Limiter', ...model.plans.map((p) => p.name)],
          names.map((name) => [
            code(name),
            ...model.plans.map((plan) => {
              const l = limitersOf(model, op, plan).find((x) => x.name === name);
              return l ? `${count(l.q)} per ${duration(l.w)}` : 'not limited';
            }),
          ]),
        ),
      ),
    lines.join('\n'),
  );
}

function parametersSection(document: OpenApiDocument, item: any, operation: any): string | null {
  const params = [...(item.parameters ?? []), ...(operation.parameters ?? [])].map((p: any) => resolve(document, p)).filter(Boolean);
  if (params.length === 0) return null;
  return table(
    ['Name', 'In', 'Type', 'Required', 'Description'],
    params.map((p: any) => [code(p.name), p.in, typeLabel(document, p.schema), p.required ? 'yes' : 'no', describe(document, p.schema, p.description)]),
  );
}

function fieldsTable(document: OpenApiDocument, schema: any): string | null {
  const rows = fieldRows(document, schema);
  if (rows.length === 0) return schema ? `Type: ${typeLabel(document, schema)}.` : null;
  return table(
    ['Field', 'Type', 'Required', 'Description'],
    rows.map((r) => [code(r.path), r.type, r.required ? 'yes' : 'no', r.description]),
  );
}

function requestSection(document: OpenApiDocument, operation: any): string | null {
  const body = resolve(document, operation.requestBody);
  if (!body?.content) return null;
  const parts = Object.entries<any>(body.content).map(([type, media]) => {
    const example = firstExample(media);
    return blocks(
      `### ${type}`,
      fieldsTable(document, media.schema),
      example !== undefined && blocks('Example:', block('json', JSON.stringify(example, null, 2))),
    );
  });
  return blocks(body.required ? 'Required.' : 'Optional.', body.description, ...parts);
}

function responsesSection(ctx: OperationContext, op: OperationModel, operation: any): string {
  const { document, model } = ctx;
  const success = Object.entries<any>(operation.responses ?? {}).filter(([status]) => /^[123]/.test(status));
  const parts = success.map(([status, raw]) => {
    const response = resolve(document, raw);
    const headers = Object.keys(response?.headers ?? {});
    const media = Object.entries<any>(response?.content ?? {});
    return blocks(
      `### ${status}`,
      response?.description,
      headers.length > 0 && `Headers: ${headers.map((h) => code(h)).join(', ')}.`,
      ...media.map(([type, m]) => {
        const example = firstExample(m);
        return blocks(
          `Content type ${code(type)}:`,
          fieldsTable(document, m.schema),
          example !== undefined && blocks('Example:', block('json', JSON.stringify(example, null, 2))),
        );
      }),
    );
  });
  const errors = op.errorCodes
    .map((c) => model.errors[c])
    .filter((e): e is NonNullable<typeof e> => Boolean(e))
    .sort((a, b) => a.status - b.status || a.code.localeCompare(b.code));
  return blocks(
    ...parts,
    errors.length > 0 &&
      blocks(
        '### Errors',
        'Problem details (`application/problem+json`):',
        table(
          ['Status', 'Code', 'Retry', 'Meaning'],
          errors.map((e) => [String(e.status), link(e.code, ctx.links.guide('errors', 'Errors', e.code)), e.retryable ? 'yes' : 'no', e.description]),
        ),
      ),
  );
}

/** The operation's Markdown page (H1 = its summary). */
export function operationMarkdown(ctx: OperationContext, op: OperationModel): string {
  const { item, operation } = operationObject(ctx.document, op);
  const params = parametersSection(ctx.document, item, operation);
  const request = requestSection(ctx.document, operation);
  return blocks(
    `# ${op.summary}`,
    `${code(`${op.method} ${op.path}`)} · operationId ${code(op.operationId)} · tag ${op.tag}${op.deprecated ? ' · **deprecated**' : ''}`,
    operation.description?.trim(),
    '## Authentication',
    authSection(ctx, op),
    '## Limits',
    limitsSection(ctx, op),
    params && blocks('## Parameters', params),
    request && blocks('## Request body', request),
    '## Responses',
    responsesSection(ctx, op, operation),
  );
}
