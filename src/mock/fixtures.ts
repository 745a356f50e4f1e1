/**
 * Mock fixtures: tenants on every plan with deterministic keys, and the dev limits, checked
 * against the contract model. Plans themselves come from the contract; a fixture only names one.
 * This module reads no file (the MSW handlers use it in a browser with the embedded copy of
 * mocks/); `fixture-files.ts` reads mocks/ for the mock server and the CLI.
 * @module
 */
import { ContractError } from '../contract/errors.js';
import type { ContractModel } from '../contract/model.js';
import { parseDuration } from '../contract/read.js';
import { parseLimitWindow, type PolicyOverride } from '../policy/overrides.js';

export interface FixtureKey {
  id: string;
  key: string;
  scopes: string[];
  project_id: string;
  revoked?: boolean;
  name?: string;
}

export interface FixtureTenant {
  id: string;
  name: string;
  plan: string;
  projects: { id: string; name: string; status: 'active' | 'archived' }[];
  keys: FixtureKey[];
}

export interface Fixtures {
  jwtSecret: string;
  jwtTtlSeconds: number;
  tenants: FixtureTenant[];
  devLimits: Record<string, PolicyOverride>;
  files: string[];
}

/** The fixtures' two sources as parsed YAML (or the same shape written in code), with their file names for errors. */
export interface FixtureSources {
  /** tenants.yaml: `{ jwt?: {secret, ttl}, tenants: [...] }`. */
  tenants: Record<string, any>;
  /** limits.dev.yaml: `{ policy: "LIMIT/WINDOW" }`. */
  limits: Record<string, unknown>;
  tenantsFile?: string;
  limitsFile?: string;
}

/** Checks tenants and dev limits against the contract model; errors name the file and key. */
export function fixturesFrom(model: ContractModel, sources: FixtureSources): Fixtures {
  const tenantsFile = sources.tenantsFile ?? 'tenants.yaml';
  const limitsFile = sources.limitsFile ?? 'limits.dev.yaml';
  const raw = sources.tenants ?? {};
  const fail = (where: string, message: string): never => {
    throw new ContractError(`${tenantsFile}: ${where}: ${message}`, tenantsFile);
  };
  const planIds = model.plans.map((p) => p.id);
  const seenKeys = new Set<string>();
  const tenants: FixtureTenant[] = (raw.tenants ?? []).map((t: any, i: number) => {
    if (!t?.id || !/^ten_[A-Za-z0-9_]+$/.test(t.id)) fail(`tenants[${i}].id`, 'must look like ten_<name>');
    if (!planIds.includes(t.plan)) fail(`tenants[${i}].plan`, `unknown plan \`${t.plan}\`; known: ${planIds.join(', ')}`);
    const projects = (t.projects ?? []).map((p: any) => ({
      id: String(p.id),
      name: String(p.name ?? p.id),
      status: p.status === 'archived' ? 'archived' : 'active',
    }));
    if (!projects.some((p: { status: string }) => p.status === 'active')) fail(`tenants[${i}].projects`, 'needs at least one active project');
    const keys = (t.keys ?? []).map((k: any, j: number) => {
      if (typeof k.key !== 'string' || !/^tl_(live|test)_[A-Za-z0-9_]{24,64}$/.test(k.key))
        fail(`tenants[${i}].keys[${j}].key`, 'must match tl_(live|test)_ and 24–64 letters, digits or _');
      if (seenKeys.has(k.key)) fail(`tenants[${i}].keys[${j}].key`, 'is used twice');
      seenKeys.add(k.key);
      if (!projects.some((p: { id: string }) => p.id === k.project_id)) fail(`tenants[${i}].keys[${j}].project_id`, `names no project of ${t.id}`);
      return { id: String(k.id), key: k.key, scopes: [...(k.scopes ?? [])], project_id: k.project_id, revoked: k.revoked === true, name: k.name };
    });
    return { id: t.id, name: String(t.name ?? t.id), plan: t.plan, projects, keys };
  });
  const devRaw = sources.limits ?? {};
  const devLimits: Record<string, PolicyOverride> = {};
  for (const [name, text] of Object.entries(devRaw)) {
    if (!model.policies[name]) {
      throw new ContractError(`${limitsFile}: unknown policy \`${name}\`; known: ${Object.keys(model.policies).join(', ')}`, limitsFile);
    }
    devLimits[name] = parseLimitWindow(String(text));
  }
  return {
    jwtSecret: String(raw.jwt?.secret ?? 'traceloom-mock-dev-secret'),
    jwtTtlSeconds: parseDuration(raw.jwt?.ttl ?? '12h') ?? 43200,
    tenants,
    devLimits,
    files: [tenantsFile, limitsFile],
  };
}
