/**
 * Small, locale-independent formatting helpers for the generated Markdown: numbers, durations,
 * sizes, tables. Locale-independent so two builds on two machines write the same bytes.
 * @module
 */
import type { Limit } from '../contract/index.js';

/** `10000` → `10,000`; null → `unlimited`. */
export function count(n: Limit): string {
  if (n === null) return 'unlimited';
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `60` → `60 s`, `120` → `2 min`, `3600` → `1 h`, `86400` → `24 h`. */
export function duration(seconds: number): string {
  if (seconds <= 60 || seconds % 60 !== 0) return `${count(seconds)} s`;
  if (seconds % 3600 === 0) return `${count(seconds / 3600)} h`;
  return `${count(seconds / 60)} min`;
}

/** `5242880` → `5 MB`, `65536` → `64 KB`, `1000` → `1,000 bytes`. */
export function bytes(n: number): string {
  const mb = 1024 * 1024;
  if (n % mb === 0) return `${count(n / mb)} MB`;
  if (n % 1024 === 0) return `${count(n / 1024)} KB`;
  return `${count(n)} bytes`;
}

/** Inline code, safe for any content (RFC-free CommonMark rule: a longer fence than any run inside). */
export function code(text: string | number): string {
  const s = String(text);
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  return longest > 0 || s.startsWith(' ') ? `${fence} ${s} ${fence}` : `${fence}${s}${fence}`;
}

/** A fenced block. */
export function block(lang: string, text: string): string {
  const longest = Math.max(2, ...(text.match(/`{3,}/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${text.replace(/\n+$/, '')}\n${fence}`;
}

/** One table cell: pipes escaped, line breaks collapsed. */
export function cell(text: string): string {
  return text
    .replace(/\r?\n+/g, ' ')
    .replace(/\|/g, '\\|')
    .trim();
}

/** A GFM table; cells are escaped here. */
export function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(head), `|${head.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

/** A Markdown link. */
export function link(text: string, href: string): string {
  return `[${text.replace(/([[\]])/g, '\\$1')}](${href})`;
}

/** `A, B and C`. */
export function list(items: string[], last = 'and'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${last} ${items[items.length - 1]}`;
}

/** The first sentence of a description, on one line (for link notes and table cells). */
export function firstSentence(text: string | undefined): string {
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  const m = /^(.+?[.!?])(\s|$)/.exec(flat);
  return m ? m[1]! : flat;
}

/**
 * The URL slug Redoc gives a tag or a Markdown heading (the `slugify` package with
 * `{lower: true}`): lower case, `&` → `and`, runs of other characters → `-`.
 */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9_\s-]/g, '')
    .trim()
    .replace(/[\s-]+/g, '-');
}

/** Moves every ATX heading outside fenced code down by `by` levels (for llms-full.txt). */
export function shiftHeadings(markdown: string, by: number): string {
  let fence: string | null = null;
  return markdown
    .split('\n')
    .map((line) => {
      const f = /^(`{3,}|~{3,})/.exec(line);
      if (f) {
        if (fence === null) fence = f[1]!;
        else if (line.startsWith(fence)) fence = null;
        return line;
      }
      if (fence === null && /^#{1,6} /.test(line)) return '#'.repeat(by) + line;
      return line;
    })
    .join('\n');
}

/** Joins Markdown blocks with one blank line and ends with a newline. */
export function blocks(...parts: (string | false | null | undefined)[]): string {
  return `${parts
    .filter((p): p is string => typeof p === 'string' && p.length > 0)
    .map((p) => p.replace(/\n+$/, ''))
    .join('\n\n')}\n`;
}
