/**
 * traceloom-unused-component: oas3-unused-component, taught the split-file layout. A component is
 * used when something `$ref`s its pointer, or when it is itself a `$ref` to a file (or pointer)
 * that some other place also references — the layout Redocly bundles into `#/components/…`.
 * Replaces oas3-unused-component, which only counts `#/components/…` references.
 */
import { isObject } from '../lib/contract.js';

const TYPES = ['schemas', 'responses', 'parameters', 'examples', 'requestBodies', 'headers', 'links', 'callbacks', 'pathItems'];

/** Resolves `ref` against the file `from` into a dependency-graph node id (`/abs/file.yaml[#/pointer]`). */
function nodeOf(ref, from) {
  const [file, fragment] = ref.split('#');
  let target = from;
  if (file !== '') {
    const parts = file.startsWith('/') ? [] : from.split('/').slice(0, -1);
    for (const part of file.split('/')) {
      if (part === '..') parts.pop();
      else if (part !== '.' && part !== '') parts.push(part);
    }
    target = `/${parts.filter(Boolean).join('/')}`;
  }
  return fragment === undefined || fragment === '' || fragment === '/' ? target : `${target}#${decodeURI(fragment)}`;
}

/** Counts every `$ref` in `data`, by target node. */
function countRefs(data, from, counts = new Map()) {
  if (Array.isArray(data)) data.forEach((item) => countRefs(item, from, counts));
  else if (isObject(data)) {
    if (typeof data.$ref === 'string') {
      const node = nodeOf(data.$ref, from);
      counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    Object.values(data).forEach((value) => countRefs(value, from, counts));
  }
  return counts;
}

/** Spectral function; given the unresolved root document (rule `resolved: false`). */
export default function unusedComponents(root, _options, { document, documentInventory }) {
  const graph = documentInventory.graph;
  const source = document.source ?? '';
  if (graph === null || !isObject(root.components)) return [];
  const nodes = new Set(graph.overallOrder().map((n) => decodeURI(n)));
  const rootRefs = countRefs(root, source);
  const results = [];
  for (const type of TYPES) {
    const group = root.components[type];
    if (!isObject(group)) continue;
    for (const [name, component] of Object.entries(group)) {
      const pointer = `${source}#/components/${type}/${name}`;
      if (nodes.has(pointer)) continue;
      if (isObject(component) && typeof component.$ref === 'string') {
        const target = nodeOf(component.$ref, source);
        const fromFiles = graph.hasNode(target) && graph.dependantsOf(target).some((d) => d !== source);
        if (fromFiles || (rootRefs.get(target) ?? 0) > 1) continue;
      }
      results.push({
        message: `Component ${type}.${name} is not referenced by any operation or component; use it or remove it.`,
        path: ['components', type, name],
      });
    }
  }
  return results;
}
