/**
 * The one-line summary every `npm run bench:*` script ends with (DESIGN §9):
 * `bench:<name> key=value key=value …`.
 * @module
 */

export type SummaryValue = number | string;

/** The summary of bench `name`: the last matching line of `output`, or null when there is none. */
export function parseSummary(output: string, name: string): { line: string; values: Record<string, SummaryValue> } | null {
  const prefix = `bench:${name} `;
  const lines = output.split(/\r?\n/).map((l) => l.trim());
  // A bench may print other `bench:<name> …` lines (e.g. a header); the summary is the last one with pairs.
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (!line.startsWith(prefix)) continue;
    const pairs = line.slice(prefix.length).trim().split(/\s+/);
    if (!pairs.every((p) => /^[A-Za-z_][\w.]*=\S*$/.test(p))) continue;
    const values: Record<string, SummaryValue> = {};
    for (const p of pairs) {
      const eq = p.indexOf('=');
      const raw = p.slice(eq + 1);
      values[p.slice(0, eq)] = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(raw) ? Number(raw) : raw;
    }
    return { line, values };
  }
  return null;
}
