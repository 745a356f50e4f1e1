/**
 * Attestations: a trace's digest signed with a fixed mock Ed25519 key, and their verification.
 * @module
 */
import { ed25519PublicKey, ed25519Sign, ed25519Verify, fromBase64, sha256Bytes, sha256Hex, toBase64, utf8 } from '../../portable/index.js';
import { newId } from '../ids.js';
import { found, iso, notFound, type Resource, type Schemas } from './context.js';

// A fixed Ed25519 key for mock attestations (the seed is a well-known test value; never a real key).
const SIGNING_SEED = sha256Bytes('traceloom-mock-attestations');
const VERIFY_KEY = ed25519PublicKey(SIGNING_SEED);
const SIGNING_KEY_ID = 'sig_mock2026';

const payload = (a: Pick<Schemas['Attestation'], 'id' | 'trace_id' | 'digest' | 'issued_at'>) => utf8(`${a.id}\n${a.trace_id}\n${a.digest}\n${a.issued_at}`);

const createAttestation: Resource = async (req, tenantId, ctx) => {
  const traceId = (req.body as Schemas['AttestationCreate']).trace_id;
  const t = await ctx.state.get(tenantId, 'traces', traceId);
  if (!t) return notFound('trace', traceId);
  const unsigned = {
    id: newId('att'),
    trace_id: t.id,
    digest: `sha256:${sha256Hex(JSON.stringify(t))}`,
    algorithm: 'ed25519' as const,
    key_id: SIGNING_KEY_ID,
    issued_at: iso(ctx.now()),
  };
  const a: Schemas['Attestation'] = { ...unsigned, signature: toBase64(ed25519Sign(payload(unsigned), SIGNING_SEED), true) };
  await ctx.state.insert(tenantId, 'attestations', a.id, a);
  return { status: 201, body: a };
};

const getAttestation: Resource = async (req, tenantId, ctx) =>
  found(await ctx.state.get(tenantId, 'attestations', req.params.attestation_id!), 'attestation', req.params.attestation_id!);

const verifyAttestation: Resource = async (req) => {
  const a = req.body as Schemas['AttestationVerifyRequest'] & Schemas['Attestation'];
  if (a.key_id !== SIGNING_KEY_ID) return { status: 200, body: { valid: false, reason: 'unknown_key' } };
  const valid = ed25519Verify(fromBase64(a.signature), payload(a), VERIFY_KEY);
  return { status: 200, body: { valid, reason: valid ? 'ok' : 'bad_signature' } };
};

/** The attestation handlers by operationId. */
export const attestationResources: Record<string, Resource> = { createAttestation, getAttestation, verifyAttestation };
