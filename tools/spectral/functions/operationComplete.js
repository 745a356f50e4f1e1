/**
 * traceloom-operation-complete: every operation has an `operationId`, a `summary`, a `description`
 * and exactly one tag — the SDK, the docs and the server stubs are generated from them.
 */
import { operations } from '../lib/contract.js';

const nonEmpty = (value) => typeof value === 'string' && value.trim() !== '';

/** Spectral function; given the resolved root document. */
export default function operationComplete(doc) {
  const results = [];
  for (const operation of operations(doc)) {
    const { op, label, path } = operation;
    for (const field of ['operationId', 'summary', 'description']) {
      if (!nonEmpty(op[field]))
        results.push({
          message: `${label} has no \`${field}\`; add one (the SDK and the docs are generated from it).`,
          path: op[field] === undefined ? path : [...path, field],
        });
    }
    const tags = op.tags;
    if (!Array.isArray(tags) || tags.length !== 1 || !nonEmpty(tags[0])) {
      const found = Array.isArray(tags) ? `${tags.length} tag(s)` : 'no tags';
      results.push({
        message: `${label} has ${found}; give it exactly one tag from the root \`tags\` (it decides the SDK namespace and the docs section).`,
        path: tags === undefined ? path : [...path, 'tags'],
      });
    }
  }
  return results;
}
