/**
 * Puts the guides into the bundled contract as tags (Redoc renders a tag's description as a
 * section, and its `##` headings as sub-sections) and groups the navigation into Guides and
 * Reference with `x-tagGroups`. `redocly build-docs` runs no decorators, so this happens on the
 * bundle, before rendering.
 * @module
 */
import type { OpenApiDocument } from '../contract/index.js';
import type { Guide } from './guides/index.js';

/** A guide with its body rendered for the reference. */
export interface RenderedGuide {
  guide: Guide;
  body: string;
}

/** A copy of `document` with one tag per guide, marked `x-traceloom-guide: <slug>`, listed first. */
export function injectGuides(document: OpenApiDocument, guides: readonly RenderedGuide[]): OpenApiDocument {
  const doc = structuredClone(document);
  const contractTags: { name: string }[] = Array.isArray(doc.tags) ? doc.tags : [];
  const contractNames = contractTags.map((t) => String(t.name));
  for (const { guide } of guides) {
    if (contractNames.includes(guide.title)) {
      throw new Error(
        `The guide "${guide.title}" has the name of a tag in the contract (openapi/openapi.yaml#/tags); rename the guide (its \`title\` in src/docs/guides/) or the tag.`,
      );
    }
  }
  // Redoc hides tags that no group lists, so operations tagged without a declaration get a place too.
  const operationTags: string[] = [];
  for (const item of Object.values<any>(doc.paths ?? {})) {
    for (const operation of Object.values<any>(item ?? {})) {
      for (const tag of Array.isArray(operation?.tags) ? operation.tags : []) {
        if (!contractNames.includes(tag) && !operationTags.includes(tag)) operationTags.push(tag);
      }
    }
  }
  doc.tags = [
    ...guides.map(({ guide, body }) => ({ name: guide.title, description: body, 'x-traceloom-guide': guide.slug })),
    ...contractTags,
    ...operationTags.map((name) => ({ name })),
  ];
  const existing: { name: string; tags: string[] }[] = Array.isArray(doc['x-tagGroups']) ? doc['x-tagGroups'] : [];
  const grouped = new Set(existing.flatMap((g) => g.tags));
  const ungrouped = [...contractNames, ...operationTags].filter((t) => !grouped.has(t));
  doc['x-tagGroups'] = [
    { name: 'Guides', tags: guides.map(({ guide }) => guide.title) },
    ...existing,
    ...(ungrouped.length ? [{ name: 'Reference', tags: ungrouped }] : []),
  ];
  return doc;
}
