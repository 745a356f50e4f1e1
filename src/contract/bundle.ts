/**
 * Bundling: the split contract under openapi/ becomes one self-contained document.
 * @module
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle, createConfig } from '@redocly/openapi-core';
import { stringify } from 'yaml';
import { ContractError } from './errors.js';

/** The repository root: the nearest folder above this file with openapi/ (works from src/ and dist/src/). */
export const repoRoot = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'openapi', 'openapi.yaml')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();

/** The contract's root file. */
export const defaultRoot = join(repoRoot, 'openapi', 'openapi.yaml');

/** A bundled contract document (OpenAPI 3.1 as plain JSON data). */
export type OpenApiDocument = Record<string, any>;

export interface BundleOutput {
  document: OpenApiDocument;
  /** Every file the bundle was read from (for hot reload). */
  files: string[];
}

export { ContractError } from './errors.js';

/** Bundles the split contract into one document; unresolvable `$ref`s are errors. */
export async function bundleContract(root: string = defaultRoot): Promise<BundleOutput> {
  const config = await createConfig({});
  const result = await bundle({ ref: root, config, dereference: false });
  const broken = result.problems.filter((p) => p.severity === 'error');
  if (broken.length > 0) {
    const lines = broken.map((p) => {
      const where = p.location[0];
      const file = where ? relative(repoRoot, where.source.absoluteRef) : root;
      return `${file}${where ? `#${where.pointer}` : ''}: ${p.message}`;
    });
    throw new ContractError(`The contract does not bundle:\n  ${lines.join('\n  ')}`, root);
  }
  return {
    document: result.bundle.parsed as OpenApiDocument,
    files: [...result.fileDependencies, root].map((f) => resolve(f)).sort(),
  };
}

/** Stable JSON text for generated files: two-space indent, trailing newline. */
export function toJsonText(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Writes `generated/openapi.json` and `generated/openapi.yaml`; returns their paths. */
export async function writeBundle(document: OpenApiDocument, outDir = join(repoRoot, 'generated')): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const json = join(outDir, 'openapi.json');
  const yaml = join(outDir, 'openapi.yaml');
  await writeFile(json, toJsonText(document));
  await writeFile(yaml, stringify(document, { lineWidth: 0, aliasDuplicateObjects: false }));
  return [json, yaml];
}
