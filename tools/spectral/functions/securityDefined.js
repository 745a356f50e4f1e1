/**
 * traceloom-security-defined: every security requirement names a scheme of
 * `components.securitySchemes`; OAuth 2 scopes are declared by the scheme's flows, and for other
 * scheme types the role names (OAS 3.1 §4.8.30.2) are values of the roles schema (our key scopes).
 * Replaces oas3-operation-security-defined, which accepts scopes from OAuth flows only.
 */
import { isObject, names, operations } from '../lib/contract.js';

/** Reads `#/components/schemas/Scope`-style pointers in the resolved document. */
function at(doc, pointer) {
  return String(pointer)
    .replace(/^#\//, '')
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((node, key) => (isObject(node) ? node[key] : undefined), doc);
}

/** Spectral function; given the resolved root document. Options: `roles`, a pointer to a schema with an `enum`. */
export default function securityDefined(doc, options) {
  const schemes = isObject(doc.components?.securitySchemes) ? doc.components.securitySchemes : {};
  const rolesSchema = at(doc, options?.roles ?? '#/components/schemas/Scope');
  const roles = Array.isArray(rolesSchema?.enum) ? rolesSchema.enum : [];
  const requirements = [];
  if (Array.isArray(doc.security)) requirements.push({ list: doc.security, label: 'the root `security`', path: ['security'] });
  for (const operation of operations(doc)) {
    if (Array.isArray(operation.op.security)) requirements.push({ list: operation.op.security, label: operation.label, path: [...operation.path, 'security'] });
  }
  const results = [];
  for (const { list, label, path } of requirements) {
    list.forEach((requirement, i) => {
      if (!isObject(requirement)) return;
      for (const [name, granted] of Object.entries(requirement)) {
        const scheme = schemes[name];
        if (!isObject(scheme)) {
          results.push({
            message: `${label} requires security scheme \`${name}\`, which components.securitySchemes does not define; known: ${names(Object.keys(schemes))}.`,
            path: [...path, i, name],
          });
          continue;
        }
        if (!Array.isArray(granted) || scheme.type === 'openIdConnect') continue; // OIDC scopes live in the discovery document
        const oauthScopes =
          scheme.type === 'oauth2'
            ? Object.values(isObject(scheme.flows) ? scheme.flows : {}).flatMap((f) => (isObject(f?.scopes) ? Object.keys(f.scopes) : []))
            : undefined;
        const allowed = oauthScopes ?? roles;
        granted.forEach((scope, j) => {
          if (allowed.includes(scope)) return;
          const source = oauthScopes ? `the scopes of \`${name}\`'s flows` : `the roles schema ${options?.roles ?? '#/components/schemas/Scope'}`;
          results.push({
            message: `${label} requires \`${name}\` with unknown scope \`${scope}\`; known (${source}): ${allowed.join(', ') || '(none)'}.`,
            path: [...path, i, name, j],
          });
        });
      }
    });
  }
  return results;
}
