/**
 * The pipeline reads a request's path and query without building a URL for each request
 * (src/http/target.ts). Whatever a client sends, it must see what the WHATWG URL parser sees:
 * the same pathname, search and query parameters, and a refusal where the parser refuses.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { targetOf } from '../../src/http/target.js';

const BASE = 'http://localhost';
/** Pieces a request target may be made of: plain ones, and every kind the parser rewrites. */
const PIECES = [
  'a',
  'Z',
  '0',
  '_',
  '-',
  '~',
  '/',
  '.',
  '..',
  '%2e',
  '%2E',
  '%',
  '%41',
  '%zz',
  '?',
  '&',
  '=',
  "'",
  '"',
  ' ',
  '#',
  '<',
  '>',
  '`',
  '{',
  '}',
  '|',
  '\\',
  '^',
  '[',
  ']',
  '!',
  '$',
  '(',
  ')',
  '*',
  '+',
  ',',
  ';',
  ':',
  '@',
  'é',
  '—',
  '\t',
  '//',
];

type Seen = { pathname: string; search: string; params: string } | 'refused';

/** What a parser makes of `raw`: its parts, or that it refused. */
function seenBy(parse: (raw: string) => { pathname: string; search: string; searchParams: URLSearchParams }): (raw: string) => Seen {
  return (raw) => {
    try {
      const t = parse(raw);
      return { pathname: t.pathname, search: t.search, params: String(t.searchParams) };
    } catch {
      return 'refused';
    }
  };
}
const parsed = seenBy((raw) => new URL(raw, BASE));
const ours = seenBy(targetOf);

describe('request target', () => {
  it('agrees with the URL parser on any target (pathname, search, parameters, refusal)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }), (pieces) => {
        const raw = '/' + pieces.join('');
        expect(ours(raw)).toEqual(parsed(raw));
      }),
      { numRuns: 20_000 },
    );
  });

  it('takes a plain target as it is, and builds the URL only when asked, once', () => {
    const t = targetOf('/v1/traces?limit=5&cursor=c1');
    expect([t.pathname, t.search, t.searchParams.get('limit')]).toEqual(['/v1/traces', '?limit=5&cursor=c1', '5']);
    expect(t.url().href).toBe('http://localhost/v1/traces?limit=5&cursor=c1');
    expect(t.url()).toBe(t.url());
  });

  it('resolves dot segments and encodes what the parser encodes', () => {
    expect(targetOf('/v1/a/../usage').pathname).toBe('/v1/usage');
    expect(targetOf('/v1/x/%2e%2E/usage').pathname).toBe('/v1/usage');
    expect(targetOf('/v1/a b').pathname).toBe('/v1/a%20b');
    expect(targetOf("/v1/x?q='a b'").search).toBe('?q=%27a%20b%27');
    expect(targetOf('/v1/x?').search).toBe('');
  });
});
