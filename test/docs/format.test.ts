import { describe, expect, it } from 'vitest';
import { bytes, code, count, duration, shiftHeadings, slug, table } from '../../src/docs/format.js';

describe('Markdown formatting', () => {
  it.each([
    [0, '0'],
    [999, '999'],
    [1000, '1,000'],
    [10_000_000, '10,000,000'],
    [null, 'unlimited'],
  ])('writes the count %s as %s, whatever the locale', (given, want) => {
    expect(count(given)).toBe(want);
  });

  it.each([
    [1, '1 s'],
    [10, '10 s'],
    [60, '60 s'],
    [90, '90 s'],
    [120, '2 min'],
    [3600, '1 h'],
    [86400, '24 h'],
  ])('writes %i seconds as %s', (given, want) => {
    expect(duration(given)).toBe(want);
  });

  it.each([
    [5 * 1024 * 1024, '5 MB'],
    [512 * 1024, '512 KB'],
    [65536, '64 KB'],
    [1000, '1,000 bytes'],
  ])('writes %i bytes as %s', (given, want) => {
    expect(bytes(given)).toBe(want);
  });

  it.each([
    ['Errors', 'errors'],
    ['Rate limits and plans', 'rate-limits-and-plans'],
    ['Rate limits & plans', 'rate-limits-and-plans'],
    ['API keys', 'api-keys'],
    ['rate_limited', 'rate_limited'],
  ])("gives %s Redoc's route slug %s", (given, want) => {
    expect(slug(given)).toBe(want);
  });

  it('fences inline code that contains backticks', () => {
    expect(code('a`b')).toBe('`` a`b ``');
    expect(code('plain')).toBe('`plain`');
  });

  it('escapes pipes and folds line breaks inside table cells', () => {
    expect(table(['a', 'b'], [['x|y', 'one\ntwo']])).toBe('| a | b |\n|---|---|\n| x\\|y | one two |');
  });

  it('moves headings down but leaves fenced code alone', () => {
    const given = '# Title\n\n```sh\n# a comment\n```\n\n## Section\n';
    expect(shiftHeadings(given, 1)).toBe('## Title\n\n```sh\n# a comment\n```\n\n### Section\n');
  });
});
