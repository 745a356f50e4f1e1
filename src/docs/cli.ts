/**
 * `npm run docs`: builds generated/docs/ (the main CLI's `traceloom docs` calls {@link runDocs}).
 * Options: `--out DIR`, `--root openapi/openapi.yaml`, `--base-path /docs`, `--if-stale`.
 * @module
 */
import { relative } from 'node:path';
import { ContractError, repoRoot } from '../contract/index.js';
import { defaultOutDir } from './build.js';
import { buildDocs, docsStale } from './index.js';

/** Runs the docs build with CLI arguments; returns the exit code. */
export async function runDocs(args: string[]): Promise<number> {
  const value = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const outDir = value('--out') ?? defaultOutDir;
  const root = value('--root');
  const basePath = value('--base-path');
  if (args.includes('--if-stale') && !(await docsStale({ outDir, root }))) {
    console.log(`docs: ${relative(repoRoot, outDir) || outDir} is up to date`);
    return 0;
  }
  try {
    const started = Date.now();
    const { files } = await buildDocs({ outDir, root, basePath });
    console.log(`docs: wrote ${files.length} files to ${relative(repoRoot, outDir) || outDir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } catch (err) {
    if (err instanceof ContractError) {
      console.error(`traceloom docs: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await runDocs(process.argv.slice(2));
}
