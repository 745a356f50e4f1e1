/**
 * Horizontal bar charts as self-contained SVG for the bench report: no scripts, no external
 * fonts or fetches, and the same markup for the same input (numbers are rounded before they are
 * written, nothing depends on time or locale), so a chart diffs cleanly between runs.
 * @module
 */

/** One bar. Bars with the same `group` are drawn under one heading, in the order given. */
export interface Bar {
  label: string;
  value: number;
  /** Text after the bar; default: the value formatted with the chart's `format`. */
  note?: string;
  /** `ours` bars are drawn in the accent colour, the rest in grey. */
  tone?: 'ours' | 'other';
  group?: string;
}

export interface BarChart {
  title: string;
  /** One line under the title: what is measured, and which way is better. */
  subtitle?: string;
  bars: Bar[];
  /** Formats values for the default notes and the axis. Default: thousands separators, no decimals. */
  format?: (value: number) => string;
  /** Width of the whole image in px. Default 720. */
  width?: number;
  /** Axis maximum (e.g. 1 for shares); default: a round number at or above the largest value. */
  max?: number;
}

const FONT = 'font-family="system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif"';
const ROW = 26;
const BAR = 18;
const HEAD = 22;
const COLOURS = { ours: '#2563eb', other: '#9ca3af', text: '#111827', muted: '#6b7280', grid: '#e5e7eb' } as const;

/** Escapes text for SVG character data and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Default value format: `12,345` (no locale: the same digits on every machine). */
export function formatNumber(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  const [int, frac] = Math.abs(value).toFixed(digits).split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${value < 0 ? '-' : ''}${grouped}${frac ? `.${frac}` : ''}`;
}

/** A round axis maximum ≥ `max` whose quarters are round too (1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8 × 10^k). */
export function niceMax(max: number): number {
  if (!(max > 0) || !Number.isFinite(max)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8]) if (step * power >= max * (1 - 1e-12)) return step * power;
  return 10 * power;
}

const px = (n: number) => String(Math.round(n * 10) / 10);

/** Renders `chart` as an SVG document (a string ending in a newline). */
export function barChart(chart: BarChart): string {
  const width = chart.width ?? 720;
  const format = chart.format ?? ((v: number) => formatNumber(v));
  const notes = chart.bars.map((b) => b.note ?? (Number.isFinite(b.value) ? format(b.value) : 'not measured'));
  // Rough text widths at 12 px (at most about 7.2 px a character): room for the longest label and note.
  const labelWidth = Math.min(300, Math.max(100, 7.2 * Math.max(...chart.bars.map((b) => b.label.length), 10)));
  const noteWidth = Math.min(width / 2, Math.max(60, 7.2 * Math.max(...notes.map((n) => n.length), 6) + 16));
  const x0 = labelWidth + 16;
  const plotWidth = Math.max(100, width - x0 - noteWidth);
  const finite = chart.bars.map((b) => (Number.isFinite(b.value) && b.value > 0 ? b.value : 0));
  const max = chart.max !== undefined && chart.max > 0 ? Math.max(chart.max, ...finite) : niceMax(Math.max(0, ...finite));

  const out: string[] = [];
  let y = 28;
  out.push(`<text x="16" y="${y}" font-size="16" font-weight="600" fill="${COLOURS.text}">${escapeXml(chart.title)}</text>`);
  if (chart.subtitle) {
    y += 20;
    out.push(`<text x="16" y="${y}" font-size="12" fill="${COLOURS.muted}">${escapeXml(chart.subtitle)}</text>`);
  }
  y += 16;
  const plotTop = y;
  let group: string | undefined;
  chart.bars.forEach((bar, i) => {
    if (bar.group !== undefined && bar.group !== group) {
      group = bar.group;
      y += HEAD;
      out.push(`<text x="16" y="${px(y - 6)}" font-size="12" font-weight="600" fill="${COLOURS.muted}">${escapeXml(bar.group)}</text>`);
    }
    const value = finite[i]!;
    const w = (value / max) * plotWidth;
    const mid = y + ROW / 2;
    out.push(`<text x="${x0 - 8}" y="${px(mid + 4)}" font-size="12" text-anchor="end" fill="${COLOURS.text}">${escapeXml(bar.label)}</text>`);
    out.push(`<rect x="${x0}" y="${px(mid - BAR / 2)}" width="${px(w)}" height="${BAR}" rx="2" fill="${COLOURS[bar.tone ?? 'other']}"/>`);
    out.push(`<text x="${px(x0 + w + 6)}" y="${px(mid + 4)}" font-size="12" fill="${COLOURS.text}">${escapeXml(notes[i]!)}</text>`);
    y += ROW;
  });
  const plotBottom = y + 4;
  // Axis: four gridlines with values, under the bars.
  const grid: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const gx = x0 + (plotWidth * k) / 4;
    grid.push(`<line x1="${px(gx)}" y1="${plotTop}" x2="${px(gx)}" y2="${px(plotBottom)}" stroke="${COLOURS.grid}" stroke-width="1"/>`);
    grid.push(
      `<text x="${px(gx)}" y="${px(plotBottom + 14)}" font-size="10" text-anchor="middle" fill="${COLOURS.muted}">${escapeXml(format((max * k) / 4))}</text>`,
    );
  }
  const height = Math.ceil(plotBottom + 26);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(chart.title)}" ${FONT}>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...grid,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}
