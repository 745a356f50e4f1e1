/**
 * The `limits` member of each tenant in `GET /__mock/state`: every rate-limit policy's
 * remaining/limit and reset for the tenant and each of its live keys, read with the policy
 * engine's non-consuming peek (so looking never spends a request).
 * @module
 */
import type { ContractModel } from '../../contract/index.js';
import { peekPolicies, type PolicyStore } from '../../policy/index.js';

/** One limiter as the console shows it (snake_case, like the rest of the state). */
export interface LimitView {
  /** Policy name, or `<policy>.burst` for its burst companion. */
  policy: string;
  scope: 'api_key' | 'tenant' | 'ip';
  /** The key it is counted for (api_key scope), else null. */
  key_id: string | null;
  limit: number;
  remaining: number;
  window_seconds: number;
  /** When a unit next frees up, on the mock clock (ISO 8601); now when nothing is used. */
  reset_at: string;
}

/** The tenant's limiters: tenant-scoped ones once, key-scoped ones per live key; [] if the store fails. */
export async function tenantLimits(
  model: ContractModel,
  store: PolicyStore,
  tenant: { id: string; plan: string; keys: Iterable<{ id: string; revoked?: boolean }> },
  now: number,
): Promise<LimitView[]> {
  const live = [...tenant.keys].filter((k) => !k.revoked).map((k) => k.id);
  const callers = live.length > 0 ? live : [null];
  try {
    const out: LimitView[] = [];
    for (const [i, keyId] of callers.entries()) {
      for (const s of await peekPolicies(model, store, { planId: tenant.plan, tenantId: tenant.id, apiKeyId: keyId, now })) {
        if (s.scope !== 'api_key' && i > 0) continue;
        out.push({
          policy: s.name,
          scope: s.scope,
          key_id: s.scope === 'api_key' ? keyId : null,
          limit: s.limit,
          remaining: s.remaining,
          window_seconds: s.windowSeconds,
          reset_at: new Date(Math.max(s.resetAt, now)).toISOString(),
        });
      }
    }
    return out;
  } catch {
    return [];
  }
}
