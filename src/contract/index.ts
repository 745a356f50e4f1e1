/**
 * The contract stage: bundle the split OpenAPI files and read their `x-traceloom` data into
 * one typed model. Every other stage gets limits, plans and error codes from here.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { bundleContract, defaultRoot, repoRoot, type OpenApiDocument } from './bundle.js';
import { pointerToken, readModel, type SourceOf } from './read.js';
import type { ContractModel } from './model.js';

export * from './model.js';
export { ContractError, bundleContract, writeBundle, toJsonText, defaultRoot, repoRoot, type OpenApiDocument } from './bundle.js';
export { readModel, resolveRef, parseDuration, parseSize } from './read.js';
export { createRouter, type Router, type RouteMatch } from './routes.js';
export { diffContracts, formatChanges, type Change, type Severity } from './diff.js';

export interface LoadedContract {
  document: OpenApiDocument;
  model: ContractModel;
  files: string[];
}

/** Bundles the contract at `root` and reads its model; errors name the source file and pointer. */
export async function loadContract(root: string = defaultRoot): Promise<LoadedContract> {
  const { document, files } = await bundleContract(root);
  const sourceOf = await sourceMapOf(root);
  return { document, model: readModel(document, sourceOf), files };
}

/** Shorthand for `(await loadContract(root)).model`. */
export async function loadModel(root: string = defaultRoot): Promise<ContractModel> {
  return (await loadContract(root)).model;
}

/** Maps bundle pointers under `/paths/*` and `/x-traceloom` to the split file they came from. */
async function sourceMapOf(root: string): Promise<SourceOf> {
  const raw = (parse(await readFile(root, 'utf8')) ?? {}) as Record<string, any>;
  const rel = (file: string) => relative(repoRoot, resolve(dirname(root), file)) || file;
  const rootRel = relative(repoRoot, root);
  return (pointer) => {
    const ext = raw['x-traceloom']?.$ref;
    if (typeof ext === 'string' && pointer.startsWith('/x-traceloom')) {
      return { file: rel(ext), pointer: pointer.slice('/x-traceloom'.length) || '/' };
    }
    for (const [path, item] of Object.entries<any>(raw.paths ?? {})) {
      const prefix = `/paths/${pointerToken(path)}`;
      if (typeof item?.$ref === 'string' && (pointer === prefix || pointer.startsWith(`${prefix}/`))) {
        return { file: rel(item.$ref), pointer: pointer.slice(prefix.length) || '/' };
      }
    }
    return { file: rootRel, pointer };
  };
}
