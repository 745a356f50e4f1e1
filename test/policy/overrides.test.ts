import { describe, expect, it } from 'vitest';
import { applyOverrides, decide, MemoryStore, overridesFromEnv, parseLimitWindow, parsePolicyOption } from '../../src/policy/index.js';
import { buildModel, facts, freshTenant, testClock } from './fixtures.js';

describe('parsing limits', () => {
  const good: [string, [string, number, number]][] = [
    ['default=20/2s', ['default', 20, 2]],
    ['reads=5/1', ['reads', 5, 1]],
    ['ai=3/1h', ['ai', 3, 3600]],
    ['api_key_create=1/1d', ['api_key_create', 1, 86_400]],
    ['audit=10/m', ['audit', 10, 60]],
    ['default = 100 / 90 sec', ['default', 100, 90]],
  ];
  for (const [given, [name, limit, windowSeconds]] of good) {
    it(`reads --policy ${given}`, () => {
      expect(parsePolicyOption(given)).toEqual([name, { limit, windowSeconds }]);
    });
  }

  const bad: [string, RegExp][] = [
    ['default', /not NAME=LIMIT\/WINDOW; write e\.g\. `--policy default=20\/2s`/],
    ['=20/2s', /not NAME=LIMIT\/WINDOW/],
    ['default=20', /`20` is not LIMIT\/WINDOW; write e\.g\. `20\/2s`/],
    ['default=0/2s', /whole number ≥ 1.*TRACELOOM_RATE_LIMIT_ENABLED=false/],
    ['default=2.5/2s', /whole number ≥ 1/],
    ['default=20/2 weeks', /window `2 weeks` is not a duration; write .*`2s`/],
    ['default=20/500ms', /window `500ms` is not a duration/],
  ];
  for (const [given, want] of bad) {
    it(`explains how to fix --policy ${given}`, () => {
      expect(() => parsePolicyOption(given)).toThrow(want);
    });
  }

  it('reads TRACELOOM_POLICY_<NAME> and TRACELOOM_RATE_LIMIT_ENABLED from the environment', () => {
    expect(
      overridesFromEnv({ TRACELOOM_POLICY_API_KEY_CREATE: '5/1m', TRACELOOM_RATE_LIMIT_ENABLED: 'false', PATH: '/bin', TRACELOOM_POLICY_DEFAULT: undefined }),
    ).toEqual({ enabled: false, policies: { api_key_create: { limit: 5, windowSeconds: 60 } } });
    expect(overridesFromEnv({ TRACELOOM_RATE_LIMIT_ENABLED: 'TRUE' })).toEqual({ enabled: true });
    expect(() => overridesFromEnv({ TRACELOOM_RATE_LIMIT_ENABLED: 'nope' })).toThrow(
      /TRACELOOM_RATE_LIMIT_ENABLED=nope is not a boolean; write TRACELOOM_RATE_LIMIT_ENABLED=false/,
    );
    expect(() => overridesFromEnv({ TRACELOOM_POLICY_DEFAULT: '20' })).toThrow(/^TRACELOOM_POLICY_DEFAULT: `20` is not LIMIT\/WINDOW/);
    expect(parseLimitWindow('7/30s')).toEqual({ limit: 7, windowSeconds: 30 });
  });
});

describe('applyOverrides', () => {
  const model = buildModel();

  it('makes `--policy default=20/2s` admit exactly 20 per 2 s on every plan (burst dropped)', async () => {
    const [name, override] = parsePolicyOption('default=20/2s');
    const m = applyOverrides(model, { policies: { [name]: override } });
    for (const plan of ['free', 'enterprise']) {
      const store = new MemoryStore();
      const clock = testClock();
      const f = facts(m, 'ingestTrace', { tenantId: freshTenant(), plan });
      const first = await Promise.all(Array.from({ length: 30 }, () => decide(f, m, store, clock)));
      expect(first.filter((d) => d.allowed)).toHaveLength(20);
      expect(first[0]!.perPolicy.map((p) => p.name)).toEqual(['default']);
      clock.advance(2000);
      expect((await Promise.all(Array.from({ length: 30 }, () => decide(f, m, store, clock)))).filter((d) => d.allowed)).toHaveLength(20);
    }
    expect(model.policies['default']!.limits['free']).toBe(60); // the input model is untouched
  });

  it('turns rate limiting off with enabled: false, keeping plan gates', async () => {
    const m = applyOverrides(model, { enabled: false });
    const store = new MemoryStore();
    const clock = testClock();
    const f = facts(m, 'ingestTrace', { tenantId: freshTenant() });
    const ds = await Promise.all(Array.from({ length: 100 }, () => decide(f, m, store, clock)));
    expect(ds.every((d) => d.allowed && d.perPolicy.length === 0)).toBe(true);
    expect((await decide(facts(m, 'listAuditEvents', { plan: 'free' }), m, store, clock)).code).toBe('plan_upgrade_required');
  });

  it('scales limits, windows and burst durations for development, explicit policies taken as given', () => {
    const m = applyOverrides(model, { scale: { limits: 0.1, windows: 0.5 }, policies: { ai: { limit: 2, windowSeconds: 60 } } });
    expect(m.policies['default']).toMatchObject({ windowSeconds: 30, limits: { free: 6, enterprise: 1000 }, burst: { free: { multiplier: 2, seconds: 5 } } });
    expect(m.policies['reads']!.limits).toMatchObject({ free: 2, pro: 60 });
    expect(m.policies['reads']!.windowSeconds).toBe(1); // never below 1 s
    expect(m.policies['ai']).toMatchObject({ windowSeconds: 60, limits: { free: 2, enterprise: 2 }, burst: null });
    expect(() => applyOverrides(model, { scale: { limits: 0 } })).toThrow(/scale.limits must be a positive number/);
  });

  it('names the known policies when an override names an unknown one', () => {
    expect(() => applyOverrides(model, { policies: { reeds: { limit: 1, windowSeconds: 1 } } })).toThrow(
      'unknown policy `reeds` in a --policy or TRACELOOM_POLICY_REEDS override; known: default, reads, ai, api_key_create, audit, attestation_mint',
    );
  });
});
