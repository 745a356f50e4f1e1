/**
 * Mock fixtures from files: mocks/tenants.yaml and mocks/limits.dev.yaml (or another folder),
 * read and checked by {@link fixturesFrom}.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot, type ContractModel } from '../contract/index.js';
import { fixturesFrom, type FixtureSources, type Fixtures } from './fixtures.js';

export const defaultMocksDir = join(repoRoot, 'mocks');

/** `<dir>/tenants.yaml` and `<dir>/limits.dev.yaml`, parsed, with their paths (unchecked: {@link fixturesFrom} checks them). */
export async function readFixtureSources(dir = defaultMocksDir): Promise<FixtureSources & { tenantsFile: string; limitsFile: string }> {
  const tenantsFile = join(dir, 'tenants.yaml');
  const limitsFile = join(dir, 'limits.dev.yaml');
  const tenants = (parse(await readFile(tenantsFile, 'utf8')) ?? {}) as Record<string, unknown>;
  const limits = (parse(await readFile(limitsFile, 'utf8')) ?? {}) as Record<string, unknown>;
  return { tenants, limits, tenantsFile, limitsFile };
}

/** Reads and checks `<dir>/tenants.yaml` and `<dir>/limits.dev.yaml` against the contract model. */
export async function loadFixtures(model: ContractModel, dir = defaultMocksDir): Promise<Fixtures> {
  return fixturesFrom(model, await readFixtureSources(dir));
}
