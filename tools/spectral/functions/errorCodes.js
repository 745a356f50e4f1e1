/**
 * traceloom-error-codes: the error-code registry (`x-traceloom.errors`, DESIGN §3.3/§3.5) and the
 * problem examples agree. Every error response has one named example per code it can return,
 * keyed by that code; each example's `code` is registered, its `status` and `retryable` are the
 * registry's, its `type` is `<docs_base_url>/errors#<code>` (RFC 9457 §3.1.1); and every
 * registered code is returned by at least one operation.
 */
import { capitalize as cap, describe, isObject, operations, responses, statusMatches, traceloom } from '../lib/contract.js';

/** Spectral function; given the resolved root document. */
export default function errorCodes(doc) {
  const data = traceloom(doc);
  const registry = isObject(data.errors) ? data.errors : {};
  const base = typeof data.docs_base_url === 'string' ? data.docs_base_url.replace(/\/+$/, '') : undefined;
  const results = [];
  const reached = new Set();
  if (base === undefined) {
    results.push({
      message: 'x-traceloom has no `docs_base_url`; problem `type` URIs are `<docs_base_url>/errors#<code>`, so add it to openapi/traceloom.yaml.',
      path: ['x-traceloom'],
    });
  }

  for (const operation of operations(doc)) {
    for (const r of responses(operation)) {
      if (r.cls !== '4' && r.cls !== '5' && r.status !== 'default') continue;
      const where = `the ${r.status} response of ${operation.label}`;
      const content = isObject(r.response.content) ? r.response.content : {};
      for (const [media, body] of Object.entries(content)) {
        if (!isObject(body)) continue;
        const at = [...r.path, 'content', media];
        if (body.example !== undefined) {
          results.push({
            message: `${cap(where)} has a single \`example\`; use named \`examples\`, one per error code, keyed by the code.`,
            path: [...at, 'example'],
          });
        }
        const examples = isObject(body.examples) ? body.examples : {};
        if (body.example === undefined && Object.keys(examples).length === 0) {
          results.push({
            message: `${cap(where)} has no example; add one named example per error code it can return, keyed by the code (e.g. \`examples: {not_found: …}\`).`,
            path: at,
          });
          continue;
        }
        for (const [name, example] of Object.entries(examples)) {
          const value = isObject(example) ? example.value : undefined;
          const exAt = [...at, 'examples', name];
          if (!isObject(value)) {
            results.push({
              message: `Example \`${name}\` of ${where} has no inline \`value\`; give the problem body inline so its code can be checked.`,
              path: exAt,
            });
            continue;
          }
          const code = value.code;
          if (typeof code !== 'string') {
            results.push({ message: `Example \`${name}\` of ${where} has no \`code\`; every problem carries its registered code.`, path: [...exAt, 'value'] });
            continue;
          }
          const entry = registry[code];
          if (!isObject(entry)) {
            const sameStatus = Object.keys(registry).filter((c) => isObject(registry[c]) && statusMatches(r.status, registry[c].status));
            results.push({
              message: `Example \`${name}\` of ${where} uses code \`${code}\`, which is not in the error registry; add it to x-traceloom.errors in openapi/traceloom.yaml or use a registered code${sameStatus.length ? ` (for ${r.status}: ${sameStatus.join(', ')})` : ''}.`,
              path: [...exAt, 'value', 'code'],
            });
            continue;
          }
          reached.add(code);
          if (name !== code) {
            results.push({
              message: `Example \`${name}\` of ${where} has code \`${code}\`; key each error example by its code (rename it \`${code}\`).`,
              path: exAt,
            });
          }
          if (value.status !== entry.status) {
            results.push({
              message: `Example \`${name}\` of ${where} has status ${describe(value.status)}, but the registry gives \`${code}\` status ${entry.status}.`,
              path: [...exAt, 'value', 'status'],
            });
          }
          if (!statusMatches(r.status, entry.status) && r.status !== 'default') {
            results.push({
              message: `\`${code}\` is a ${entry.status} error but is an example of ${where}; move it to the ${entry.status} response.`,
              path: exAt,
            });
          }
          if (typeof entry.retryable === 'boolean' && value.retryable !== entry.retryable) {
            results.push({
              message: `Example \`${name}\` of ${where} has retryable ${describe(value.retryable)}, but the registry gives \`${code}\` retryable ${entry.retryable}.`,
              path: [...exAt, 'value', 'retryable'],
            });
          }
          const type = base === undefined ? undefined : `${base}/errors#${code}`;
          if (type !== undefined && value.type !== type) {
            results.push({
              message: `Example \`${name}\` of ${where} has type ${describe(value.type)}; the type of \`${code}\` is \`${type}\`.`,
              path: [...exAt, 'value', 'type'],
            });
          }
        }
      }
    }
  }

  for (const code of Object.keys(registry)) {
    if (reached.has(code)) continue;
    // `scope: server_stub` codes are answered only by the generated server stubs while an
    // operation has no handler yet (DESIGN §6); `scope: transport` ones by the HTTP server before
    // a request is parsed far enough to have an operation (431). No operation documents either.
    if (isObject(registry[code]) && ['server_stub', 'transport'].includes(registry[code].scope)) continue;
    results.push({
      message: `Error code \`${code}\` is registered in x-traceloom.errors but no operation returns it; add a named example \`${code}\` to the error response of an operation that can return it, or remove it from the registry.`,
      path: ['x-traceloom', 'errors', code],
    });
  }
  return results;
}
