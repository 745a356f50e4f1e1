/**
 * Whether the built docs are older than what they are built from: every file of the contract
 * (the folder of its root file) and every file of this stage (src/docs). `npm start` rebuilds when
 * this says so.
 * @module
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRoot } from '../contract/index.js';

/** Files a build must write; their oldest mtime is the build's time. */
export const BUILD_OUTPUTS = ['index.html', 'openapi.json', 'llms.txt', 'llms-full.txt'];

const DOCS_SOURCE = dirname(fileURLToPath(import.meta.url));

export interface StaleOptions {
  outDir: string;
  /** The contract's root file (default openapi/openapi.yaml). */
  root?: string;
}

/** True when a build output is missing, or any contract or src/docs file is newer than the oldest output. */
export async function docsStale({ outDir, root = defaultRoot }: StaleOptions): Promise<boolean> {
  let built = Infinity;
  for (const name of BUILD_OUTPUTS) {
    try {
      built = Math.min(built, (await stat(join(outDir, name))).mtimeMs);
    } catch {
      return true;
    }
  }
  const newest = Math.max(await newestIn(dirname(root)), await newestIn(DOCS_SOURCE));
  return newest > built;
}

/** The newest mtime of any file under `dir` (0 when it does not exist). */
async function newestIn(dir: string): Promise<number> {
  let newest = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, await newestIn(path));
    else if (entry.isFile()) newest = Math.max(newest, (await stat(path)).mtimeMs);
  }
  return newest;
}
