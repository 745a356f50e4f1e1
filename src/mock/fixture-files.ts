/**
 * Mock fixtures from files: mocks/tenants.yaml and mocks/limits.dev.yaml (or another folder),
 * read and checked by {@link fixturesFrom}.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot, type ContractModel } from '../contract/index.js';
import { fixturesFrom, type Fixtures } from './fixtures.js';

export const defaultMocksDir = join(repoRoot, 'mocks');

/** Reads and checks `<dir>/tenants.yaml` and `<dir>/limits.dev.yaml` against the contract model. */
export async function loadFixtures(model: ContractModel, dir = defaultMocksDir): Promise<Fixtures> {
  const tenantsFile = join(dir, 'tenants.yaml');
  const limitsFile = join(dir, 'limits.dev.yaml');
  const tenants = (parse(await readFile(tenantsFile, 'utf8')) ?? {}) as Record<string, unknown>;
  const limits = (parse(await readFile(limitsFile, 'utf8')) ?? {}) as Record<string, unknown>;
  return fixturesFrom(model, { tenants, limits, tenantsFile, limitsFile });
}
