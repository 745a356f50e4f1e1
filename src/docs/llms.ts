/**
 * `llms.txt` (https://llmstxt.org: an H1, a blockquote summary, plain paragraphs, then H2
 * sections of `- [name](url): notes` lists, the last one `## Optional`) and `llms-full.txt`
 * (every guide and operation page in one Markdown file).
 * @module
 */
import type { ContractModel, OpenApiDocument, OperationModel } from '../contract/index.js';
import { blocks, code, firstSentence, link, shiftHeadings } from './format.js';
import type { Guide } from './guides/index.js';
import { guidePath, normaliseBase, operationPath } from './links.js';

export interface LlmsInput {
  model: ContractModel;
  document: OpenApiDocument;
  guides: readonly Guide[];
  basePath: string;
}

/** Operations grouped by tag, in the contract's tag order (tags without operations are left out). */
export function operationsByTag(model: ContractModel, document: OpenApiDocument): [string, OperationModel[]][] {
  const order: string[] = (document.tags ?? []).map((t: any) => String(t.name));
  for (const op of model.operations) if (!order.includes(op.tag)) order.push(op.tag);
  return order.map((tag): [string, OperationModel[]] => [tag, model.operations.filter((op) => op.tag === tag)]).filter(([, ops]) => ops.length > 0);
}

function intro(model: ContractModel, document: OpenApiDocument): string {
  return firstParagraph(document.info?.description) || model.title;
}

function firstParagraph(text: unknown): string {
  return (
    String(text ?? '')
      .trim()
      .split(/\n\s*\n/)[0]
      ?.replace(/\s+/g, ' ') ?? ''
  );
}

/** The llms.txt index. */
export function llmsTxt({ model, document, guides, basePath }: LlmsInput): string {
  const base = normaliseBase(basePath);
  const server = document.servers?.[0]?.url;
  return blocks(
    `# ${model.title}`,
    `> ${String(document.info?.summary ?? firstSentence(document.info?.description)).trim()}`,
    intro(model, document),
    `Version ${code(model.version)}${server ? `, served at ${code(server)}` : ''}. Every link below is a Markdown page generated from the ` +
      "OpenAPI contract, the same source as the mock server and the SDK; numbers (rate limits, quotas, plans) and error codes in them are the contract's.",
    '## Guides',
    guides.map((g) => `- ${link(g.title, `${base}/${guidePath(g.slug)}`)}: ${g.summary}`).join('\n'),
    ...operationsByTag(model, document).flatMap(([tag, ops]) => [
      `## ${tag}`,
      ops
        .map((op) => {
          const operation = document.paths?.[op.path]?.[op.method.toLowerCase()] ?? {};
          const note = firstSentence(operation.description) || op.summary;
          return `- ${link(op.summary, `${base}/${operationPath(op.operationId)}`)}: ${code(`${op.method} ${op.path}`)} (${code(op.operationId)}). ${note}`;
        })
        .join('\n'),
    ]),
    '## Optional',
    [
      `- ${link('Full documentation', '/llms-full.txt')}: every guide and every operation above, in one Markdown file`,
      `- ${link('OpenAPI document', `${base}/openapi.json`)}: the bundled OpenAPI 3.1 contract, including the \`x-traceloom\` data and these guides`,
      `- ${link('Rendered reference', `${base}/`)}: the HTML reference for people (needs JavaScript)`,
    ].join('\n'),
  );
}

/** Every guide and operation page in one file; each page's headings move one level down under the file's H1. */
export function llmsFullTxt(input: LlmsInput, pages: { guides: Map<string, string>; operations: Map<string, string> }): string {
  const { model, document } = input;
  return blocks(
    `# ${model.title}`,
    `> ${String(document.info?.summary ?? '').trim()}`,
    String(document.info?.description ?? '').trim(),
    ...input.guides.map((g) => shiftHeadings(pages.guides.get(g.slug) ?? '', 1)),
    ...operationsByTag(model, document).flatMap(([, ops]) => ops.map((op) => shiftHeadings(pages.operations.get(op.operationId) ?? '', 1))),
  );
}

/** A guide's Markdown page: H1 title, blockquote summary, body. */
export function guideMarkdown(guide: Guide, body: string): string {
  return blocks(`# ${guide.title}`, `> ${guide.summary}`, body);
}
