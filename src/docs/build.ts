/**
 * `npm run docs`: contract → guides → guide-injected bundle → Markdown pages and llms.txt →
 * rendered reference. Everything but Redoc's own bundle inside index.html is deterministic.
 * @module
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { defaultRoot, loadContract, repoRoot, toJsonText } from '../contract/index.js';
import { slug } from './format.js';
import { ERRORS_TITLE, GUIDES, type GuideContext } from './guides/index.js';
import { injectGuides } from './inject.js';
import { markdownLinks, redocLinks, guidePath, operationPath } from './links.js';
import { guideMarkdown, llmsFullTxt, llmsTxt } from './llms.js';
import { operationMarkdown } from './operation.js';
import { redoclyBin, renderReference } from './redoc.js';

export interface BuildOptions {
  /** Where to write (default generated/docs). Its `guides/` and `operations/` folders are replaced. */
  outDir?: string;
  /** The contract's root file (default openapi/openapi.yaml). */
  root?: string;
  /** URL path the docs are served under (default `/docs`, as the mock serves them; `/` on a host of their own). */
  basePath?: string;
}

/** The default output directory. */
export const defaultOutDir = join(repoRoot, 'generated', 'docs');

/** Builds the docs; returns every file written (absolute paths, sorted). */
export async function buildDocs(options: BuildOptions = {}): Promise<{ files: string[] }> {
  const outDir = resolve(options.outDir ?? defaultOutDir);
  const root = resolve(options.root ?? defaultRoot);
  const basePath = options.basePath ?? '/docs';
  if (slug(ERRORS_TITLE) !== 'errors') {
    throw new Error(
      `The Errors guide's route must be \`errors\` (problem type URIs end in /errors#<code>); its title "${ERRORS_TITLE}" gives \`${slug(ERRORS_TITLE)}\`.`,
    );
  }

  redoclyBin(); // before anything is written: without @redocly/cli, say what to install

  // 1. The contract, read once.
  const { document, model } = await loadContract(root);
  const reference: GuideContext = { model, document, links: redocLinks(basePath) };
  const markdown: GuideContext = { model, document, links: markdownLinks(basePath) };

  // 2. Fresh output folders (only the ones this build owns).
  await mkdir(outDir, { recursive: true });
  await rm(join(outDir, 'guides'), { recursive: true, force: true });
  await rm(join(outDir, 'operations'), { recursive: true, force: true });
  const files: string[] = [];
  const write = async (rel: string, text: string) => {
    const file = join(outDir, rel);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
    files.push(file);
  };

  // 3. The bundle with the guides as tags: what the reference renders and what /docs/openapi.json serves.
  const withGuides = injectGuides(
    document,
    GUIDES.map((guide) => ({ guide, body: guide.body(reference) })),
  );
  await write('openapi.json', toJsonText(withGuides));

  // 4. Markdown: one page per guide and per operation, then the llms.txt pair.
  const guidePages = new Map(GUIDES.map((g) => [g.slug, guideMarkdown(g, g.body(markdown))]));
  const operationPages = new Map(model.operations.map((op) => [op.operationId, operationMarkdown(markdown, op)]));
  for (const [guideSlug, text] of guidePages) await write(guidePath(guideSlug), text);
  for (const [operationId, text] of operationPages) await write(operationPath(operationId), text);
  const llms = { model, document, guides: GUIDES, basePath };
  await write('llms.txt', llmsTxt(llms));
  await write('llms-full.txt', llmsFullTxt(llms, { guides: guidePages, operations: operationPages }));

  // 5. The rendered reference, from the file written in step 3.
  const index = join(outDir, 'index.html');
  await renderReference({ specFile: join(outDir, 'openapi.json'), outFile: index, basePath, errorsTitle: ERRORS_TITLE });
  files.push(index);

  return { files: files.sort() };
}
