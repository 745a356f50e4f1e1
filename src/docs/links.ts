/**
 * Where every generated page lives, in the two media the guides are written for: the rendered
 * reference (Redoc routes under the base path) and the Markdown files that llms.txt links to.
 *
 * URL scheme (base path `/docs` when the mock serves the docs; `/` on a docs host of its own):
 * - `<base>/` the rendered reference; `<base>/<tag-slug>` a tag or guide, `<base>/<tag-slug>/<operationid>` an operation
 *   (Redoc's history routes; the server answers index.html for them);
 * - `<base>/errors#<code>`: a problem's `type` URI with `docs_base_url` mapped to `<base>`; a script in the
 *   page turns it into Redoc's route `<base>/errors/<code>`, whose element id is `errors/<code>`;
 * - `<base>/guides/<slug>.md`, `<base>/operations/<operationId>.md`, `<base>/openapi.json`;
 * - `/llms.txt` and `/llms-full.txt` at the server root (llmstxt.org), also under `<base>/`.
 * @module
 */
import type { OperationModel } from '../contract/index.js';
import { slug } from './format.js';

/** Builds hrefs for one medium. */
export interface Linker {
  /** A guide, or one section of it (`anchor` is the heading text's slug, e.g. an error code). */
  guide(guideSlug: string, title: string, anchor?: string): string;
  operation(op: OperationModel): string;
}

/** `/docs/` → `/docs`, `/` → `` (so `${base}/x` is always right). */
export function normaliseBase(basePath: string): string {
  const trimmed = basePath.replace(/\/+$/, '');
  return trimmed === '' ? '' : trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** Links inside the rendered reference: Redoc's own routes. */
export function redocLinks(basePath: string): Linker {
  const base = normaliseBase(basePath);
  return {
    guide: (_slug, title, anchor) => `${base}/${slug(title)}${anchor ? `/${slug(anchor)}` : ''}`,
    operation: (op) => `${base}/${slug(op.tag)}/${op.operationId.toLowerCase()}`,
  };
}

/** Links between the Markdown files (root-relative, so they work from llms.txt too). */
export function markdownLinks(basePath: string): Linker {
  const base = normaliseBase(basePath);
  return {
    guide: (guideSlug, _title, anchor) => `${base}/${guidePath(guideSlug)}${anchor ? `#${slug(anchor)}` : ''}`,
    operation: (op) => `${base}/${operationPath(op.operationId)}`,
  };
}

/** The guide's Markdown file, relative to the docs directory. */
export function guidePath(guideSlug: string): string {
  return `guides/${guideSlug}.md`;
}

/** The operation's Markdown file, relative to the docs directory. */
export function operationPath(operationId: string): string {
  return `operations/${operationId}.md`;
}
