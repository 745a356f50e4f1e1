/**
 * `generated/types.ts`: the contract's TypeScript types, by openapi-typescript.
 * @module
 */
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import type { OpenApiDocument } from '../contract/index.js';
import { STAMP, file } from './emit.js';

/**
 * Renders `paths`, `components` and `operations` for the bundled document. `alphabetize` makes
 * the output independent of the order of keys in the YAML, so a reordering is not a diff.
 * `defaultNonNullable: false`: a member with a `default` stays optional, since these types also
 * type what a client *sends* (an ingested trace need not state `status: unset`).
 */
export async function renderTypes(document: OpenApiDocument): Promise<string> {
  // openapi-typescript annotates (and may mutate) the document it is given: hand it a copy.
  const ast = await openapiTS(structuredClone(document) as OpenAPI3, { alphabetize: true, defaultNonNullable: false, silent: true });
  return file([STAMP, '// TypeScript types of the contract, by openapi-typescript (see src/codegen/types.ts).', '', astToString(ast)]);
}
