/**
 * traceloom-oas3-schema: Spectral's own OpenAPI document-schema check (the function behind
 * oas3-schema), run on the resolved document. Upstream runs it unresolved, so it never sees the
 * split files and, on 3.1, rejects `$ref` path items (stoplightio/spectral#2655, fix unreleased).
 */
import { oas } from '@stoplight/spectral-rulesets';

const upstream = oas.rules['oas3-schema'].then.function;

/** Spectral function; given the resolved root document. */
export default function oasSchemaResolved(doc, _options, context) {
  return upstream(doc, null, context);
}
