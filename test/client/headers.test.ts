import { describe, expect, it } from 'vitest';
import { parseRateLimitPolicy } from '../../src/client/headers.js';

describe('RateLimit-Policy (draft-11 §3)', () => {
  const cases: { given: string | null; want: ReturnType<typeof parseRateLimitPolicy> }[] = [
    { given: '"default";q=20;w=2', want: [{ policy: 'default', quota: 20, windowSeconds: 2 }] },
    {
      given: '"default";q=1000;w=60, "default.burst";q=333;w=10',
      want: [
        { policy: 'default', quota: 1000, windowSeconds: 60 },
        { policy: 'default.burst', quota: 333, windowSeconds: 10 },
      ],
    },
    { given: '"a,b";q=5;w=1', want: [{ policy: 'a,b', quota: 5, windowSeconds: 1 }] },
    { given: '"default";q=20', want: [] },
    { given: '"default";q=0;w=2, "reads";q=x;w=1', want: [] },
    { given: null, want: [] },
  ];
  it.each(cases)('parses $given', ({ given, want }) => {
    expect(parseRateLimitPolicy(given)).toEqual(want);
  });
});
