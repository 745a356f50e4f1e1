import { describe, expect, it } from 'vitest';
import { decide, MemoryStore, problem, rateLimitHeaders, type Decision } from '../../src/policy/index.js';
import { buildModel, facts, freshTenant, testClock } from './fixtures.js';

const model = buildModel();

function decision(perPolicy: Decision['perPolicy'], extra: Partial<Decision> = {}): Decision {
  return { allowed: true, status: 200, code: null, perPolicy, violated: [], retryAfter: null, problem: null, degraded: false, now: 1_000_000, ...extra };
}

describe('rateLimitHeaders', () => {
  it('renders one structured-field item per limiter and the legacy set for the most restrictive one', async () => {
    const clock = testClock('2026-03-03T12:00:00.200Z');
    const d = await decide(facts(model, 'ingestTrace', { tenantId: freshTenant() }), model, new MemoryStore(), clock);
    expect(rateLimitHeaders(d)).toEqual({
      'RateLimit-Policy': '"default";q=60;w=60, "default.burst";q=20;w=10',
      // sliding: the one stamp frees a slot in 60 s; bucket: the next whole token in 500 ms
      RateLimit: '"default";r=59;t=60, "default.burst";r=19;t=1',
      'X-RateLimit-Limit': '20',
      'X-RateLimit-Remaining': '19',
      'X-RateLimit-Reset': String(Math.ceil(Date.parse('2026-03-03T12:00:00.700Z') / 1000)),
      'X-RateLimit-Policy': '20;w=10',
    });
  });

  const cases = [
    {
      given: 'least remaining wins',
      states: [
        { name: 'a', limit: 10, remaining: 5, resetAt: 2_000_000, windowSeconds: 60 },
        { name: 'b', limit: 10, remaining: 4, resetAt: 1_001_000, windowSeconds: 1 },
      ],
      want: 'b',
    },
    {
      given: 'on equal remaining, the latest reset wins',
      states: [
        { name: 'a', limit: 10, remaining: 0, resetAt: 1_001_000, windowSeconds: 1 },
        { name: 'b', limit: 60, remaining: 0, resetAt: 1_030_000, windowSeconds: 60 },
      ],
      want: 'b',
    },
  ];
  for (const c of cases) {
    it(`describes the most restrictive limiter in X-RateLimit-*: ${c.given}`, () => {
      const h = rateLimitHeaders(decision(c.states));
      const s = c.states.find((x) => x.name === c.want)!;
      expect(h['X-RateLimit-Policy']).toBe(`${s.limit};w=${s.windowSeconds}`);
      expect(h['X-RateLimit-Remaining']).toBe(String(s.remaining));
      expect(h['X-RateLimit-Reset']).toBe(String(s.resetAt / 1000));
    });
  }

  it('sends Retry-After on 429 and 503 only, never on 402 (waiting does not fix a 402)', () => {
    expect(rateLimitHeaders(decision([], { allowed: false, status: 429, retryAfter: 7 }))['Retry-After']).toBe('7');
    expect(rateLimitHeaders(decision([], { allowed: false, status: 503, retryAfter: 1 }))['Retry-After']).toBe('1');
    expect(rateLimitHeaders(decision([], { allowed: false, status: 402, retryAfter: 7 }))['Retry-After']).toBeUndefined();
  });

  it('counts `t` from the given time, never below 0', () => {
    const d = decision([{ name: 'x', limit: 5, remaining: 0, resetAt: 1_002_500, windowSeconds: 10 }]);
    expect(rateLimitHeaders(d)['RateLimit']).toBe('"x";r=0;t=3');
    expect(rateLimitHeaders(d, 1_002_000)['RateLimit']).toBe('"x";r=0;t=1');
    expect(rateLimitHeaders(d, 1_009_000)['RateLimit']).toBe('"x";r=0;t=0');
  });
});

describe('problem', () => {
  it('renders a 429 exactly in the shape of DESIGN §3.3, members in order', async () => {
    const clock = testClock('2026-03-03T12:00:00Z');
    const store = new MemoryStore();
    const f = facts(model, 'createInsight', { tenantId: freshTenant(), plan: 'pro' });
    for (let i = 0; i < 20; i++) await decide(f, model, store, clock);
    clock.advance(1000);
    const d = await decide(f, model, store, clock);
    const body = problem(model, d.code!, { instance: '/v1/ai/insights', requestId: 'req_01JD8X3V6Q2N5M', ...d.problem });
    expect(Object.keys(body)).toEqual([
      'type',
      'title',
      'status',
      'detail',
      'instance',
      'code',
      'request_id',
      'retryable',
      'retry_after_seconds',
      'limit',
      'window_seconds',
      'reset_at',
      'violated_policies',
    ]);
    expect(body).toEqual({
      type: 'https://docs.traceloom.dev/errors#rate_limited',
      title: 'Rate limit exceeded',
      status: 429,
      detail: '20 requests per 3600 s allowed for this account; retry in 3599 s.',
      instance: '/v1/ai/insights',
      code: 'rate_limited',
      request_id: 'req_01JD8X3V6Q2N5M',
      retryable: true,
      retry_after_seconds: 3599,
      limit: 20,
      window_seconds: 3600,
      reset_at: '2026-03-03T13:00:00Z',
      violated_policies: ['ai'],
    });
  });

  it('builds the type URI from docs_base_url with or without a trailing slash, and falls back to the registry description', () => {
    const body = problem({ ...model, docsBaseUrl: 'https://docs.example.dev/' }, 'quota_exceeded', { instance: '/v1/ingest', requestId: 'req_1' });
    expect(body.type).toBe('https://docs.example.dev/errors#quota_exceeded');
    expect(body).toMatchObject({ status: 402, retryable: false, detail: 'Monthly quota exceeded.' });
  });

  it('says which codes exist when asked for an unknown one', () => {
    expect(() => problem(model, 'rate_limit', { instance: '/', requestId: 'req_1' })).toThrow(/unknown error code `rate_limit`.*rate_limited/);
  });
});
