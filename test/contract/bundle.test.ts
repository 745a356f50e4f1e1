import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleContract, repoRoot, toJsonText } from '../../src/contract/index.js';

describe('bundling', () => {
  it('is deterministic: two bundles are byte-identical', async () => {
    const [a, b] = await Promise.all([bundleContract(), bundleContract()]);
    expect(toJsonText(a.document)).toBe(toJsonText(b.document));
  });

  it('matches the committed generated/openapi.json (run `npm run bundle` after editing openapi/)', async () => {
    const fresh = toJsonText((await bundleContract()).document);
    const committed = await readFile(join(repoRoot, 'generated', 'openapi.json'), 'utf8');
    expect(committed === fresh, 'generated/openapi.json is stale: run `npm run bundle`').toBe(true);
  });

  it('is self-contained: every $ref is local', async () => {
    const text = toJsonText((await bundleContract()).document);
    const refs = [...text.matchAll(/"\$ref": "([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(100);
    expect(refs.filter((r) => !r.startsWith('#/'))).toEqual([]);
  });
});
