/**
 * Which rate-limit policies a request is subject to, from the contract's operation table
 * (generated/limits.ts): the pacing gate waits only on those.
 * @module
 */
import { operationLimits } from '../../generated/limits.js';

interface Route {
  method: string;
  regex: RegExp;
  literal: boolean;
  policies: readonly string[];
}

/** Compiled once per module: literal paths win over templated ones (`/attestations/verify`). */
const routes: Route[] = Object.values(operationLimits)
  .map((op) => {
    const source = op.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
    // Suffix match: the base URL may carry a prefix (`https://gw.example.com/traceloom/v1/...`).
    return { method: op.method, regex: new RegExp(`${source}$`), literal: !op.path.includes('{'), policies: op.policies };
  })
  .sort((a, b) => Number(b.literal) - Number(a.literal));

/** The policies of the operation at `method` + `pathname`; none for a path the contract does not know. */
export function policiesOf(method: string, pathname: string): readonly string[] {
  const path = pathname.replace(/\/+$/, '');
  for (const route of routes) if (route.method === method && route.regex.test(path)) return route.policies;
  return [];
}
