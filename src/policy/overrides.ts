/**
 * Limits from the command line and the environment (DESIGN §9), applied as a pure function over
 * the contract model: `--policy NAME=LIMIT/WINDOW`, `TRACELOOM_POLICY_<NAME>=LIMIT/WINDOW`,
 * `TRACELOOM_RATE_LIMIT_ENABLED=false`, and a scale for development limits.
 * @module
 */
import type { ContractModel, RateLimitPolicy } from '../contract/model.js';

/** One policy's replacement: LIMIT requests per WINDOW on every plan, no burst. */
export interface PolicyOverride {
  limit: number;
  windowSeconds: number;
}

/** Factors applied to every policy (e.g. from the mock's dev limits): limits and windows. */
export interface PolicyScale {
  /** Multiplies every limit (rounded, at least 1). */
  limits?: number;
  /** Multiplies every window and burst duration (rounded, at least 1 s). */
  windows?: number;
}

export interface PolicyOverrides {
  /** false: no operation is rate-limited (plan gates, caps and quotas still apply). */
  enabled?: boolean;
  policies?: Record<string, PolicyOverride>;
  /** Applied first; explicit `policies` are taken as given. */
  scale?: PolicyScale;
}

const UNITS: Record<string, number> = { s: 1, sec: 1, m: 60, min: 60, h: 3600, d: 86400 };

/** `2s`, `60`, `1m`, `1h`, `1d`, or a bare unit (`s` = 1 s) → whole seconds. */
export function parseWindow(text: string): number {
  const match = /^\s*(\d+)?\s*(s|sec|m|min|h|d)?\s*$/.exec(text);
  if (!match || (match[1] === undefined && match[2] === undefined)) {
    throw new Error(`window \`${text}\` is not a duration; write whole seconds or a unit, e.g. \`2s\`, \`60\`, \`1m\`, \`1h\`, \`1d\``);
  }
  const seconds = Number(match[1] ?? 1) * UNITS[match[2] ?? 's']!;
  if (seconds < 1) throw new Error(`window \`${text}\` must be at least 1 s`);
  return seconds;
}

/** `LIMIT/WINDOW`, e.g. `20/2s` → {limit: 20, windowSeconds: 2}. */
export function parseLimitWindow(text: string): PolicyOverride {
  const slash = text.indexOf('/');
  if (slash < 0) throw new Error(`\`${text}\` is not LIMIT/WINDOW; write e.g. \`20/2s\` (20 requests per 2 seconds)`);
  const limitText = text.slice(0, slash).trim();
  if (!/^\d+$/.test(limitText) || Number(limitText) < 1) {
    throw new Error(
      `limit \`${limitText}\` in \`${text}\` must be a whole number ≥ 1, e.g. \`20/2s\`; to turn rate limiting off set TRACELOOM_RATE_LIMIT_ENABLED=false`,
    );
  }
  return { limit: Number(limitText), windowSeconds: parseWindow(text.slice(slash + 1)) };
}

/** `--policy NAME=LIMIT/WINDOW`, e.g. `default=20/2s`. */
export function parsePolicyOption(text: string): [name: string, override: PolicyOverride] {
  const eq = text.indexOf('=');
  const name = eq < 0 ? '' : text.slice(0, eq).trim();
  if (!name) throw new Error(`\`--policy ${text}\` is not NAME=LIMIT/WINDOW; write e.g. \`--policy default=20/2s\``);
  try {
    return [name, parseLimitWindow(text.slice(eq + 1))];
  } catch (err) {
    throw new Error(`--policy ${text}: ${(err as Error).message}`);
  }
}

/** `true/false/1/0/yes/no/on/off` (any case). */
function parseBoolean(name: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new Error(`${name}=${value} is not a boolean; write ${name}=false to turn rate limiting off, or true`);
}

/**
 * Overrides from the environment: `TRACELOOM_POLICY_<NAME>=LIMIT/WINDOW` (NAME upper-cased,
 * e.g. `TRACELOOM_POLICY_API_KEY_CREATE=5/1m`) and `TRACELOOM_RATE_LIMIT_ENABLED=false`.
 */
export function overridesFromEnv(env: Readonly<Record<string, string | undefined>>): PolicyOverrides {
  const out: PolicyOverrides = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (key === 'TRACELOOM_RATE_LIMIT_ENABLED') {
      out.enabled = parseBoolean(key, value);
    } else if (key.startsWith('TRACELOOM_POLICY_')) {
      const name = key.slice('TRACELOOM_POLICY_'.length).toLowerCase();
      try {
        (out.policies ??= {})[name] = parseLimitWindow(value);
      } catch (err) {
        throw new Error(`${key}: ${(err as Error).message}`);
      }
    }
  }
  return out;
}

function scaled(value: number, factor: number | undefined): number {
  return factor === undefined ? value : Math.max(1, Math.round(value * factor));
}

function checkFactor(name: string, factor: number | undefined): void {
  if (factor !== undefined && !(Number.isFinite(factor) && factor > 0)) {
    throw new Error(`scale.${name} must be a positive number, got ${factor}`);
  }
}

/**
 * A new model with the overrides applied (the input is not changed):
 * 1. `scale` multiplies every policy's limits, windows and burst durations;
 * 2. each entry of `policies` sets that policy to LIMIT per WINDOW on every plan and drops its
 *    burst, so exactly LIMIT requests are admitted per WINDOW (a token bucket becomes a sliding
 *    window, the only way that promise holds; fixed windows and sliding logs keep their algorithm,
 *    and so do sliding-window counters: exactly LIMIT per aligned WINDOW, see counter.ts for any window);
 * 3. `enabled: false` removes every operation's policies (no 429s, no rate-limit headers).
 * Throws, naming the known policies, on an unknown policy name.
 */
export function applyOverrides(model: ContractModel, overrides: PolicyOverrides): ContractModel {
  const { scale, policies: replaced = {}, enabled = true } = overrides;
  checkFactor('limits', scale?.limits);
  checkFactor('windows', scale?.windows);
  for (const name of Object.keys(replaced)) {
    if (!model.policies[name]) {
      throw new Error(
        `unknown policy \`${name}\` in a --policy or TRACELOOM_POLICY_${name.toUpperCase()} override; known: ${Object.keys(model.policies).join(', ')}`,
      );
    }
  }
  const policies: Record<string, RateLimitPolicy> = {};
  for (const [name, policy] of Object.entries(model.policies)) {
    const override = replaced[name];
    if (override) {
      policies[name] = {
        ...policy,
        algorithm: policy.algorithm === 'token-bucket' ? 'sliding-window' : policy.algorithm,
        windowSeconds: override.windowSeconds,
        limits: Object.fromEntries(model.plans.map((p) => [p.id, override.limit])),
        burst: null,
      };
    } else if (scale) {
      policies[name] = {
        ...policy,
        windowSeconds: scaled(policy.windowSeconds, scale.windows),
        limits: Object.fromEntries(Object.entries(policy.limits).map(([plan, l]) => [plan, l === null ? null : scaled(l, scale.limits)])),
        burst:
          policy.burst &&
          Object.fromEntries(
            Object.entries(policy.burst).map(([plan, b]) => [plan, b && { multiplier: b.multiplier, seconds: scaled(b.seconds, scale.windows) }]),
          ),
      };
    } else {
      policies[name] = policy;
    }
  }
  const operations = enabled ? model.operations : model.operations.map((op) => ({ ...op, policies: [] }));
  return { ...model, policies, operations };
}
