/**
 * Attestations: a trace's digest signed with a fixed mock Ed25519 key, and their verification.
 * @module
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { newId } from '../ids.js';
import { found, iso, notFound, type Resource, type Schemas } from './context.js';

// A fixed Ed25519 key for mock attestations (PKCS#8 of a well-known test seed; never a real key).
const SIGNING_KEY = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), createHash('sha256').update('traceloom-mock-attestations').digest()]),
  format: 'der',
  type: 'pkcs8',
});
const VERIFY_KEY = createPublicKey(SIGNING_KEY);
const SIGNING_KEY_ID = 'sig_mock2026';

const payload = (a: Pick<Schemas['Attestation'], 'id' | 'trace_id' | 'digest' | 'issued_at'>) =>
  Buffer.from(`${a.id}\n${a.trace_id}\n${a.digest}\n${a.issued_at}`);

const createAttestation: Resource = async (req, tenantId, ctx) => {
  const traceId = (req.body as Schemas['AttestationCreate']).trace_id;
  const t = await ctx.state.get(tenantId, 'traces', traceId);
  if (!t) return notFound('trace', traceId);
  const unsigned = {
    id: newId('att'),
    trace_id: t.id,
    digest: `sha256:${createHash('sha256').update(JSON.stringify(t)).digest('hex')}`,
    algorithm: 'ed25519' as const,
    key_id: SIGNING_KEY_ID,
    issued_at: iso(ctx.now()),
  };
  const a: Schemas['Attestation'] = { ...unsigned, signature: sign(null, payload(unsigned), SIGNING_KEY).toString('base64url') };
  await ctx.state.insert(tenantId, 'attestations', a.id, a);
  return { status: 201, body: a };
};

const getAttestation: Resource = async (req, tenantId, ctx) =>
  found(await ctx.state.get(tenantId, 'attestations', req.params.attestation_id!), 'attestation', req.params.attestation_id!);

const verifyAttestation: Resource = async (req) => {
  const a = req.body as Schemas['AttestationVerifyRequest'] & Schemas['Attestation'];
  if (a.key_id !== SIGNING_KEY_ID) return { status: 200, body: { valid: false, reason: 'unknown_key' } };
  const valid = verify(null, payload(a), VERIFY_KEY, Buffer.from(a.signature, 'base64url'));
  return { status: 200, body: { valid, reason: valid ? 'ok' : 'bad_signature' } };
};

/** The attestation handlers by operationId. */
export const attestationResources: Record<string, Resource> = { createAttestation, getAttestation, verifyAttestation };
