/**
 * Steps 5 and 6 of the pipeline (src/http/pipeline.ts): who is calling (DESIGN §3.2), then scopes. API keys (`Authorization: Bearer tl_…` or `x-api-key`)
 * are looked up by their SHA-256 digest, so no secret is ever compared character by character;
 * session JWTs are HS256 with `alg` pinned and `exp` enforced (RFC 8725 §3.1), verified by jose.
 * @module
 */
import { sha256Hex, type Later } from '../portable/index.js';
import type { RequestHeaders } from './exchange.js';
import { errors as joseErrors, jwtVerify } from 'jose';

/** The authenticated caller. Sessions have every scope. */
export interface Principal {
  kind: 'api_key' | 'session';
  tenantId: string;
  /** The API key id, or `ses_<subject>` for a session (the `api_key` scope of policies). */
  keyId: string;
  scopes: string[];
  /** The project an API key is bound to; null for sessions. */
  projectId: string | null;
}

/** An API key as the directory knows it. */
export interface KeyRecord {
  id: string;
  tenantId: string;
  scopes: string[];
  projectId: string | null;
  revoked: boolean;
}

/** Where credentials are looked up: the mock's fixtures and state, or the server's `keys`. */
export interface Directory {
  /** The key whose secret has this SHA-256 hex digest, or null (may read a store). */
  keyByDigest(digest: string): Later<KeyRecord | null>;
  /** Whether the tenant exists (a session's `tenant_id` claim must name one). */
  hasTenant(tenantId: string): Later<boolean>;
}

export interface AuthOptions {
  directory: Directory;
  /** HS256 secret for session JWTs; sessions are refused without one. */
  jwtSecret?: Uint8Array | null;
  /** Current time in ms (the mock's clock), for `exp`. */
  now: () => number;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; code: 'missing_credentials' | 'invalid_api_key' | 'expired_token'; detail: string };

const digests = new Map<string, string>();

/** SHA-256 hex digest of an API key secret: the only form in which keys are compared (memoised, bounded). */
export function digestOf(secret: string): string {
  let d = digests.get(secret);
  if (d === undefined) {
    d = sha256Hex(secret);
    if (digests.size >= 4096) digests.clear();
    digests.set(secret, d);
  }
  return d;
}

/** The credential a request carries, if any. */
export function credentialOf(headers: RequestHeaders): string | null {
  const authz = headers.authorization;
  if (typeof authz === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authz);
    return m ? m[1]! : authz.trim() || null;
  }
  const key = headers['x-api-key'];
  return typeof key === 'string' && key.trim() ? key.trim() : null;
}

/** Authenticates a request's headers; at once when the directory answers at once (a key it has, or no credential). */
export function authenticate(headers: RequestHeaders, options: AuthOptions): Later<AuthResult> {
  const credential = credentialOf(headers);
  if (!credential) {
    return { ok: false, code: 'missing_credentials', detail: 'Send an API key as `Authorization: Bearer tl_…` or `x-api-key: tl_…`, or a session token.' };
  }
  if (credential.startsWith('tl_')) {
    const key = options.directory.keyByDigest(digestOf(credential));
    return key instanceof Promise ? key.then(apiKeyResult) : apiKeyResult(key);
  }
  if (credential.split('.').length === 3 && options.jwtSecret) return authenticateSession(credential, options.jwtSecret, options);
  return { ok: false, code: 'invalid_api_key', detail: 'The credential is neither an API key (`tl_…`) nor a session token.' };
}

const UNKNOWN_KEY: AuthResult = Object.freeze({ ok: false, code: 'invalid_api_key', detail: 'This API key is unknown.' });
const REVOKED_KEY: AuthResult = Object.freeze({ ok: false, code: 'invalid_api_key', detail: 'This API key has been revoked.' });
/** The answer for each frozen key record (the directory hands the same one to every request while the key is unchanged). */
const keyResults = new WeakMap<KeyRecord, AuthResult>();

/** The answer for an API key as the directory found it (the same object for the same frozen record). */
function apiKeyResult(key: KeyRecord | null): AuthResult {
  if (!key) return UNKNOWN_KEY;
  if (key.revoked) return REVOKED_KEY;
  if (!Object.isFrozen(key)) return { ok: true, principal: principalOf(key) };
  let result = keyResults.get(key);
  if (result === undefined) keyResults.set(key, (result = Object.freeze({ ok: true, principal: Object.freeze(principalOf(key)) })));
  return result;
}

const principalOf = (key: KeyRecord): Principal => ({ kind: 'api_key', tenantId: key.tenantId, keyId: key.id, scopes: key.scopes, projectId: key.projectId });

/** A session JWT: HS256 only, `exp`, `sub` and `tenant_id` required, the tenant known. */
async function authenticateSession(credential: string, secret: Uint8Array, options: AuthOptions): Promise<AuthResult> {
  try {
    const { payload } = await jwtVerify(credential, secret, {
      algorithms: ['HS256'],
      currentDate: new Date(options.now()),
      requiredClaims: ['exp', 'sub', 'tenant_id'],
    });
    const tenantId = String(payload.tenant_id);
    if (!(await options.directory.hasTenant(tenantId))) return { ok: false, code: 'invalid_api_key', detail: 'The session names an unknown tenant.' };
    return {
      ok: true,
      principal: { kind: 'session', tenantId, keyId: `ses_${String(payload.sub)}`, scopes: ['ingest', 'read', 'write', 'admin'], projectId: null },
    };
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) {
      return {
        ok: false,
        code: 'expired_token',
        detail: `The session token expired at ${new Date(Number(err.payload.exp) * 1000).toISOString()}; sign in again.`,
      };
    }
    return { ok: false, code: 'invalid_api_key', detail: 'The session token is not valid (signature, algorithm or claims).' };
  }
}

/** The scope sets an API key may satisfy, per requirement list (an operation's own list: worked out once). */
const keyScopes = new WeakMap<Record<string, string[]>[], string[][]>();
function keyScopesOf(security: Record<string, string[]>[]): string[][] {
  let needs = keyScopes.get(security);
  if (needs === undefined) {
    needs = security.filter((req) => 'ApiKey' in req || 'ApiKeyHeader' in req).map((req) => req.ApiKey ?? req.ApiKeyHeader ?? []);
    keyScopes.set(security, needs);
  }
  return needs;
}

/**
 * Step 6: scopes. An API key needs every scope of one of the operation's ApiKey requirements;
 * a session passes where the operation accepts sessions. Returns the refusal, or null.
 */
export function checkScopes(principal: Principal, security: Record<string, string[]>[]): { code: 'insufficient_scope' | 'forbidden'; detail: string } | null {
  if (security.length === 0) return null;
  if (principal.kind === 'session') {
    return security.some((req) => 'Session' in req) ? null : { code: 'forbidden', detail: 'Sessions cannot call this operation; use an API key.' };
  }
  const needs = keyScopesOf(security);
  if (needs.length === 0) return { code: 'forbidden', detail: 'API keys cannot call this operation; use a session.' };
  if (needs.some((scopes) => scopes.every((s) => principal.scopes.includes(s)))) return null;
  const wanted = [...new Set(needs.flat())];
  return {
    code: 'insufficient_scope',
    detail: `This operation needs the \`${wanted.join('` or `')}\` scope; the key has \`${principal.scopes.join('`, `') || 'none'}\`.`,
  };
}

/** Query parameters that look like credentials: refused, never read (DESIGN §3.2). */
export const CREDENTIAL_QUERY = /^(api[_-]?key|apikey|key|token|access[_-]?token|authorization)$/i;
