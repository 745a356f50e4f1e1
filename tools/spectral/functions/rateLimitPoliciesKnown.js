/**
 * traceloom-rate-limit-policies-known: every `x-traceloom-rate-limit` names only policies of
 * `x-traceloom.rate_limit_policies` (DESIGN §3.5), so a typo cannot silently unlimit an operation.
 */
import { describe, keysOf, names, operations } from '../lib/contract.js';

const KEY = 'x-traceloom-rate-limit';

/** Spectral function; given the resolved root document. */
export default function rateLimitPoliciesKnown(doc) {
  const known = keysOf(doc, 'rate_limit_policies');
  const results = [];
  for (const operation of operations(doc)) {
    const value = operation.op[KEY];
    if (value === undefined) continue;
    const at = [...operation.path, KEY];
    if (!Array.isArray(value) || value.length === 0) {
      results.push({
        message: `\`${KEY}\` on ${operation.label} must be a non-empty list of policy names; found ${describe(value)}. Known: ${names(known)}.`,
        path: at,
      });
      continue;
    }
    value.forEach((policy, i) => {
      if (typeof policy === 'string' && known.includes(policy)) return;
      results.push({
        message: `\`${KEY}\` names unknown policy ${describe(policy)} on ${operation.label}; known: ${known.join(', ') || '(none)'}. Add it to x-traceloom.rate_limit_policies or fix the name.`,
        path: [...at, i],
      });
    });
    const seen = new Set();
    value.forEach((policy, i) => {
      if (seen.has(policy))
        results.push({ message: `\`${KEY}\` lists policy ${describe(policy)} twice on ${operation.label}; list each policy once.`, path: [...at, i] });
      seen.add(policy);
    });
  }
  return results;
}
