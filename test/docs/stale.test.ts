import { cp, mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/contract/index.js';
import { docsStale } from '../../src/docs/index.js';
import { removeAll, tempDir } from './helpers.js';

const OUTPUTS = ['index.html', 'openapi.json', 'llms.txt', 'llms-full.txt'];
const FUTURE = new Date(Date.now() + 3600_000);

describe('docsStale', () => {
  let contractDir: string;
  let out: string;
  let root: string;
  beforeEach(async () => {
    [contractDir, out] = await Promise.all([tempDir(), tempDir()]);
    await cp(join(repoRoot, 'openapi'), contractDir, { recursive: true });
    root = join(contractDir, 'openapi.yaml');
  });
  afterEach(() => removeAll(contractDir, out));

  const writeOutputs = async (mtime: Date, names = OUTPUTS) => {
    await mkdir(out, { recursive: true });
    for (const name of names) {
      await writeFile(join(out, name), 'x');
      await utimes(join(out, name), mtime, mtime);
    }
  };

  it('is stale when nothing was built', async () => {
    expect(await docsStale({ outDir: join(out, 'never-built'), root })).toBe(true);
  });

  it('is stale when one of the outputs is missing', async () => {
    await writeOutputs(FUTURE, OUTPUTS.slice(1));
    expect(await docsStale({ outDir: out, root })).toBe(true);
  });

  it('is fresh when every output is newer than the contract and src/docs', async () => {
    await writeOutputs(FUTURE);
    expect(await docsStale({ outDir: out, root })).toBe(false);
  });

  it('is stale when any contract file, even a nested one, is newer than the oldest output', async () => {
    await writeOutputs(FUTURE);
    const later = new Date(FUTURE.getTime() + 60_000);
    await utimes(join(contractDir, 'components', 'schemas', 'Trace.yaml'), later, later);
    expect(await docsStale({ outDir: out, root })).toBe(true);
  });

  it('is stale when src/docs is newer than the outputs, even if the contract is not', async () => {
    // Contract files from 1970, outputs a little later: only src/docs (checked out now) is newer.
    const old = new Date(1000_000);
    for (const entry of await readdir(contractDir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) await utimes(join(entry.parentPath, entry.name), old, old);
    }
    await writeOutputs(new Date(2000_000));
    expect(await docsStale({ outDir: out, root })).toBe(true);
  });
});
