/**
 * The codegen stage (DESIGN §6): bundle → `generated/openapi.json` → `generated/types.ts`
 * (openapi-typescript) → `generated/server.ts` (handler types) → `generated/limits.ts`
 * (contract data for the SDK) → `generated/sdk.ts` (resource facade) → `generated/embedded.ts`
 * and `generated/otlp-proto.ts` (contract, fixtures and OTLP messages as data: embedded.ts). Output is deterministic.
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultRoot, loadContract, repoRoot, toJsonText, writeBundle, type ContractModel, type OpenApiDocument } from '../contract/index.js';
import { renderEmbedded, renderOtlpProto } from './embedded.js';
import { renderLimits } from './limits.js';
import { collectOperations } from './operations.js';
import { renderSdk } from './sdk.js';
import { renderServer } from './server.js';
import { renderTypes } from './types.js';

export { sdkNames } from './sdk.js';

/** One generated file: its name under `generated/` and its full text. */
export interface GeneratedFile {
  name: string;
  text: string;
}

export interface GenerateOptions {
  /** The contract's root file; default `openapi/openapi.yaml`. */
  root?: string;
  /** Where to write; default `generated/`. */
  outDir?: string;
  /** Compare with the files on disk instead of writing them. */
  check?: boolean;
}

export interface GenerateResult {
  /** Absolute paths written (empty with `check`). */
  written: string[];
  /** Names under `outDir` whose text differs from a fresh run (only with `check`). */
  stale: string[];
}

/** Renders every generated file from a bundled document and its model, in memory. */
export async function renderAll(document: OpenApiDocument, model: ContractModel): Promise<GeneratedFile[]> {
  const operations = collectOperations(document);
  const tags = Object.fromEntries((document.tags ?? []).map((t: { name: string; description?: string }) => [t.name, t.description ?? '']));
  return [
    { name: 'openapi.json', text: toJsonText(document) },
    { name: 'types.ts', text: await renderTypes(document) },
    { name: 'server.ts', text: renderServer(operations) },
    { name: 'limits.ts', text: renderLimits(model) },
    { name: 'sdk.ts', text: renderSdk(operations, tags) },
    { name: 'embedded.ts', text: await renderEmbedded(document) },
    { name: 'otlp-proto.ts', text: renderOtlpProto() },
  ];
}

/** `npm run generate`: writes (or with `check`, compares) everything under `generated/`. */
export async function generate(options: GenerateOptions = {}): Promise<GenerateResult> {
  const outDir = options.outDir ?? join(repoRoot, 'generated');
  const { document, model } = await loadContract(options.root ?? defaultRoot);
  const files = await renderAll(document, model);
  if (options.check) {
    const stale: string[] = [];
    for (const f of files) {
      const current = await readFile(join(outDir, f.name), 'utf8').catch(() => null);
      if (current !== f.text) stale.push(f.name);
    }
    return { written: [], stale };
  }
  // openapi.json (and openapi.yaml) through the contract stage, so the text is `npm run bundle`'s.
  const written = await writeBundle(document, outDir);
  for (const f of files) {
    if (f.name === 'openapi.json') continue;
    const path = join(outDir, f.name);
    await writeFile(path, f.text);
    written.push(path);
  }
  return { written, stale: [] };
}
