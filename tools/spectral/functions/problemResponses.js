/**
 * traceloom-problem-responses: every 4xx/5xx (and `default`) response of an operation carries an
 * RFC 9457 problem details body — `application/problem+json` only, with the Problem schema
 * (DESIGN §3.3). Checked structurally on the resolved document, so any `$ref` layout passes.
 */
import { capitalize as cap, isObject, operations, responses } from '../lib/contract.js';

const MEDIA = 'application/problem+json';
/** Members every Traceloom problem has, and their JSON types (RFC 9457 §3.1 plus `code`, `request_id`, `retryable`). */
const REQUIRED = { type: 'string', title: 'string', status: 'integer', code: 'string', request_id: 'string', retryable: 'boolean' };

/** Collects `required` and `properties` of a schema and its `allOf` parts. */
function flatten(schema, out = { required: new Set(), properties: {} }, depth = 0) {
  if (!isObject(schema) || depth > 8) return out;
  if (Array.isArray(schema.required)) schema.required.forEach((r) => out.required.add(r));
  if (isObject(schema.properties)) Object.assign(out.properties, schema.properties);
  if (Array.isArray(schema.allOf)) schema.allOf.forEach((part) => flatten(part, out, depth + 1));
  return out;
}

/** Whether a schema's `type` is, or (3.1 type arrays) includes, `type`. */
const hasType = (schema, type) => isObject(schema) && (schema.type === type || (Array.isArray(schema.type) && schema.type.includes(type)));

/** What is wrong with a problem schema, or [] when it is the Problem shape. */
function problemSchemaFaults(schema) {
  if (!isObject(schema)) return ['it has no schema'];
  if (schema.type !== undefined && !hasType(schema, 'object')) return [`its schema has type ${JSON.stringify(schema.type)}, not object`];
  const { required, properties } = flatten(schema);
  const faults = [];
  const notRequired = Object.keys(REQUIRED).filter((m) => !required.has(m));
  if (notRequired.length > 0) faults.push(`its schema does not require ${notRequired.join(', ')}`);
  for (const [member, type] of Object.entries(REQUIRED)) {
    if (!isObject(properties[member])) faults.push(`its schema does not define \`${member}\``);
    else if (!hasType(properties[member], type)) faults.push(`its schema's \`${member}\` is not of type ${type}`);
  }
  return faults;
}

/** Spectral function; given the resolved root document. */
export default function problemResponses(doc) {
  const results = [];
  for (const operation of operations(doc)) {
    for (const r of responses(operation)) {
      if (r.cls !== '4' && r.cls !== '5' && r.status !== 'default') continue;
      const where = `the ${r.status} response of ${operation.label}`;
      const content = r.response.content;
      if (!isObject(content) || Object.keys(content).length === 0) {
        results.push({
          message: `${cap(where)} has no body; errors are RFC 9457 problem details: add content \`${MEDIA}\` with $ref components/schemas/Problem.yaml.`,
          path: r.path,
        });
        continue;
      }
      for (const media of Object.keys(content)) {
        if (media === MEDIA) continue;
        results.push({
          message: `${cap(where)} is documented as \`${media}\`; error bodies are \`${MEDIA}\` only (RFC 9457 §3): replace it.`,
          path: [...r.path, 'content', media],
        });
      }
      if (!(MEDIA in content)) continue;
      const faults = problemSchemaFaults(content[MEDIA]?.schema);
      if (faults.length > 0) {
        results.push({
          message: `${cap(where)} is not a Traceloom problem: ${faults.join('; ')}. Use $ref components/schemas/Problem.yaml.`,
          path: [...r.path, 'content', MEDIA, 'schema'],
        });
      }
    }
  }
  return results;
}
