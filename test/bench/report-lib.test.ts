/**
 * The bench report's pieces (bench/lib): the summary-line parser every `bench:*` script is read
 * with (DESIGN §9), and the SVG bar charts (deterministic, self-contained, escaped).
 * The benchmarks themselves are not part of `npm test`.
 */
import { describe, expect, it } from 'vitest';
import { barChart, escapeXml, formatNumber, niceMax } from '../../bench/lib/svg.js';
import { keyBytesRows, keyBytesTable } from '../../bench/lib/key-bytes.js';
import { parseSummary } from '../../bench/lib/summary.js';

describe('parseSummary', () => {
  const output = [
    'bench:policy on Intel Xeon (2 cores), Node v20',
    'round 1  memory 741506/s',
    'bench:policy memory_dps=741506 vs_rlf_memory=0.43 note=sliding-log',
    '',
  ].join('\n');

  it.each([
    { given: 'the last line with key=value pairs', name: 'policy', want: { memory_dps: 741506, vs_rlf_memory: 0.43, note: 'sliding-log' } },
    { given: 'a bench that printed no summary', name: 'mock', want: null },
  ])('reads $given', ({ name, want }) => {
    expect(parseSummary(output, name)?.values ?? null).toEqual(want);
  });

  it('skips a header line that starts like a summary but is not key=value pairs', () => {
    expect(parseSummary('bench:policy on Intel Xeon (2 cores)\n', 'policy')).toBeNull();
  });

  it('takes the last summary when a bench printed several', () => {
    expect(parseSummary('bench:mock ours_rps=1\nbench:mock ours_rps=2\n', 'mock')?.line).toBe('bench:mock ours_rps=2');
  });
});

describe('barChart', () => {
  const chart = {
    title: 'Throughput <req/s> & "more"',
    bars: [
      { label: 'ours', value: 14_200, tone: 'ours' as const },
      { label: 'Prism CLI', value: 2_100 },
      { label: 'failed run', value: NaN },
    ],
  };

  it('renders the same markup for the same input', () => {
    expect(barChart(chart)).toBe(barChart(structuredClone(chart)));
  });

  it('is one self-contained SVG document: no scripts, links or external references', () => {
    const svg = barChart(chart);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).not.toMatch(/<script|href=|url\(|@import/);
  });

  it('escapes text, and says "not measured" for a missing value instead of drawing it', () => {
    const svg = barChart(chart);
    expect(svg).toContain('Throughput &lt;req/s&gt; &amp; &quot;more&quot;');
    expect(svg).toContain('>not measured<');
    expect(svg).not.toContain('NaN');
  });

  it('draws bar lengths in proportion to the values', () => {
    const widths = [...barChart(chart).matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(3);
    expect(widths[0]! / widths[1]!).toBeCloseTo(14_200 / 2_100, 1);
    expect(widths[2]).toBe(0);
  });
});

describe('number formatting', () => {
  it.each([
    { given: 1234567, digits: 0, want: '1,234,567' },
    { given: 0.5, digits: 2, want: '0.50' },
    { given: -1500, digits: 0, want: '-1,500' },
    { given: Infinity, digits: 0, want: 'n/a' },
  ])('formatNumber($given, $digits) = $want', ({ given, digits, want }) => {
    expect(formatNumber(given, digits)).toBe(want);
  });

  it.each([
    { given: 12_268, want: 16_000 },
    { given: 0.563, want: 0.6 },
    { given: 1000, want: 1000 },
    { given: 0, want: 1 },
  ])('niceMax($given) = $want', ({ given, want }) => {
    expect(niceMax(given)).toBeCloseTo(want, 9);
  });
});

describe('Redis bytes per key (bench:policy summary)', () => {
  const values = parseSummary(
    'bench:policy memory_dps=1 bytes.default.free=808 mb100k.default.free=80.8 bytes.default.burst.free=136 bytes.default.pro=10448 bytes.ai.all=392\n',
    'policy',
  )!.values;

  it('reads the bytes.<policy>.<plan> pairs as rows, a burst companion keeping its dotted name', () => {
    expect(keyBytesRows(values)).toEqual([
      { policy: 'default', plan: 'free', bytes: 808, mb100k: 80.8 },
      { policy: 'default.burst', plan: 'free', bytes: 136, mb100k: 13.6 },
      { policy: 'default', plan: 'pro', bytes: 10448, mb100k: 1044.8 },
      { policy: 'ai', plan: 'all', bytes: 392, mb100k: 39.2 },
    ]);
  });

  it('renders one row per policy and one column per plan; a policy measured once fills every plan', () => {
    const md = keyBytesTable(keyBytesRows(values), formatNumber);
    expect(md.split('\n')[0]).toBe('| policy | free | pro |');
    expect(md).toContain('| default | 808 B · 80.8 MB | 10,448 B · 1,045 MB |');
    expect(md).toContain('| default.burst | 136 B · 13.6 MB | — |');
    expect(md).toContain('| ai | 392 B · 39.2 MB | 392 B · 39.2 MB |');
  });
});
