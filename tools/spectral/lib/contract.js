/**
 * @module tools/spectral/lib/contract
 * Walkers over a resolved Traceloom OpenAPI document, shared by the custom Spectral functions.
 * Pure: no I/O, no Spectral imports, so every rule reads the document the same way.
 */

/** HTTP methods that hold an Operation Object in a Path Item (OAS 3.1 §4.8.9). */
export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** True for a plain (non-array) object. */
export const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Formats names for a message: "`a`, `b`", or "(none)". */
export const names = (list) => (list.length === 0 ? '(none)' : list.map((n) => `\`${n}\``).join(', '));

/** Upper-cases the first letter, to start a message with a lower-case phrase. */
export const capitalize = (text) => text.charAt(0).toUpperCase() + text.slice(1);

/** Formats a value found in the document for a message. */
export const describe = (value) => (typeof value === 'string' ? `\`${value}\`` : (JSON.stringify(value) ?? String(value)));

/**
 * Every operation under `paths` (and `webhooks`), with the label used in messages
 * ("POST /v1/ingest") and its JSON path in the resolved document.
 */
export function* operations(doc) {
  for (const section of ['paths', 'webhooks']) {
    const items = isObject(doc?.[section]) ? doc[section] : {};
    for (const [route, item] of Object.entries(items)) {
      if (!isObject(item)) continue;
      for (const method of METHODS) {
        const op = item[method];
        if (isObject(op)) yield { op, label: `${method.toUpperCase()} ${route}`, path: [section, route, method] };
      }
    }
  }
}

/** Every response of an operation, with its status key, status class ('2'…'5', or null for `default`) and path. */
export function* responses(operation) {
  const all = isObject(operation.op.responses) ? operation.op.responses : {};
  for (const [status, response] of Object.entries(all)) {
    if (!isObject(response)) continue;
    yield { status, cls: statusClass(status), response, path: [...operation.path, 'responses', status] };
  }
}

/** The class digit of a response key: '2' for `201` or `2XX`; null for `default` or anything else. */
export function statusClass(key) {
  const m = /^([1-5])(\d\d|XX)$/i.exec(String(key));
  return m ? m[1] : null;
}

/** Whether a response key covers `status` (exact code, or its `4XX` range). */
export function statusMatches(key, status) {
  const k = String(key).toUpperCase();
  return k === String(status) || (k.endsWith('XX') && k[0] === String(status)[0]);
}

/** The root `x-traceloom` behaviour data, or an empty object. */
export const traceloom = (doc) => (isObject(doc?.['x-traceloom']) ? doc['x-traceloom'] : {});

/** Keys of an object member of `x-traceloom` (`rate_limit_policies`, `meters`, `errors`). */
export const keysOf = (doc, member) => {
  const value = traceloom(doc)[member];
  return isObject(value) ? Object.keys(value) : [];
};

/** Ids of `x-traceloom.plans`, in order. */
export const planIds = (doc) => {
  const plans = traceloom(doc).plans;
  return Array.isArray(plans)
    ? plans
        .filter(isObject)
        .map((p) => p.id)
        .filter((id) => typeof id === 'string')
    : [];
};

/** Header names of a response, lower-cased (HTTP field names are case-insensitive, RFC 9110 §5.1). */
export const headerNames = (response) => new Set(isObject(response.headers) ? Object.keys(response.headers).map((h) => h.toLowerCase()) : []);
