/**
 * traceloom-extensions-known: the operation-level `x-traceloom-*` keys (DESIGN §3.5) name only
 * what the root `x-traceloom` defines — plans, meters, caps — and no unknown key is used, so a
 * misspelt key cannot silently drop a limit. Value shapes are checked by src/contract.
 */
import { describe, isObject, keysOf, operations, planIds, traceloom } from '../lib/contract.js';

/** Operation-level keys the toolkit reads (src/contract). */
const KNOWN_KEYS = ['x-traceloom-rate-limit', 'x-traceloom-quota', 'x-traceloom-plan', 'x-traceloom-cap', 'x-traceloom-max-body', 'x-traceloom-max-items'];

/** Cap names every plan defines (a cap missing from one plan has no limit there). */
function capNames(doc) {
  const plans = Array.isArray(traceloom(doc).plans) ? traceloom(doc).plans.filter(isObject) : [];
  const perPlan = plans.map((p) => (isObject(p.caps) ? Object.keys(p.caps) : []));
  return perPlan.length === 0 ? [] : perPlan[0].filter((c) => perPlan.every((caps) => caps.includes(c)));
}

/** Spectral function; given the resolved root document. */
export default function extensionsKnown(doc) {
  const plans = planIds(doc);
  const meters = keysOf(doc, 'meters');
  const caps = capNames(doc);
  const results = [];
  for (const operation of operations(doc)) {
    const { op, label } = operation;
    for (const key of Object.keys(op)) {
      if (key.startsWith('x-traceloom') && !KNOWN_KEYS.includes(key)) {
        results.push({ message: `Unknown extension \`${key}\` on ${label}; known: ${KNOWN_KEYS.join(', ')}.`, path: [...operation.path, key] });
      }
    }
    const plan = op['x-traceloom-plan'];
    if (plan !== undefined && !plans.includes(plan)) {
      results.push({
        message: `\`x-traceloom-plan\` names unknown plan ${describe(plan)} on ${label}; known: ${plans.join(', ') || '(none)'}.`,
        path: [...operation.path, 'x-traceloom-plan'],
      });
    }
    const quota = op['x-traceloom-quota'];
    if (quota !== undefined) {
      const rules = Array.isArray(quota) ? quota : [quota];
      rules.forEach((rule, i) => {
        const at = [...operation.path, 'x-traceloom-quota', ...(Array.isArray(quota) ? [i] : [])];
        const meter = isObject(rule) ? rule.meter : undefined;
        if (!meters.includes(meter)) {
          results.push({
            message: `\`x-traceloom-quota\` on ${label} meters unknown meter ${describe(meter)}; known: ${meters.join(', ') || '(none)'} (x-traceloom.meters).`,
            path: isObject(rule) ? [...at, 'meter'] : at,
          });
        }
      });
    }
    const cap = op['x-traceloom-cap'];
    if (cap !== undefined && !caps.includes(cap)) {
      results.push({
        message: `\`x-traceloom-cap\` names cap ${describe(cap)} on ${label}, which not every plan defines; known: ${caps.join(', ') || '(none)'} (x-traceloom.plans[].caps).`,
        path: [...operation.path, 'x-traceloom-cap'],
      });
    }
  }
  return results;
}
