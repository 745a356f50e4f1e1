/**
 * The Redis bytes-per-key figures of `bench:policy`'s summary (`bytes.<policy>.<plan>=N`, a
 * policy measured as a sliding-window counter too named `<policy>_counter`), read back into
 * rows for the report: bytes per active key and what 100,000 active keys take.
 * @module
 */
import type { SummaryValue } from './summary.js';

export interface KeyBytesRow {
  /** `default`, `default.burst`, `default_counter`, … */
  policy: string;
  /** A plan id, or `all` when the policy has one limit for every plan. */
  plan: string;
  bytes: number;
  /** Megabytes (10^6 bytes) for 100,000 such keys. */
  mb100k: number;
}

/** The `bytes.*` pairs of a summary as rows, in the order the bench printed them. */
export function keyBytesRows(values: Record<string, SummaryValue>): KeyBytesRow[] {
  const rows: KeyBytesRow[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (!key.startsWith('bytes.') || typeof value !== 'number') continue;
    const rest = key.slice('bytes.'.length);
    const dot = rest.lastIndexOf('.');
    if (dot <= 0) continue;
    rows.push({ policy: rest.slice(0, dot), plan: rest.slice(dot + 1), bytes: value, mb100k: (value * 100_000) / 1e6 });
  }
  return rows;
}

/** One Markdown row per policy, one column per plan: `bytes B · MB per 100k keys`. */
export function keyBytesTable(rows: readonly KeyBytesRow[], formatNumber: (n: number, digits?: number) => string): string {
  const plans = [...new Set(rows.map((r) => r.plan))].filter((p) => p !== 'all');
  const policies = [...new Set(rows.map((r) => r.policy))];
  const head = ['policy', ...plans];
  const lines = policies.map((policy) => {
    const cells = plans.map((plan) => {
      const r = rows.find((x) => x.policy === policy && (x.plan === plan || x.plan === 'all'));
      return r ? `${formatNumber(r.bytes)} B · ${formatNumber(r.mb100k, r.mb100k < 100 ? 1 : 0)} MB` : '—';
    });
    return [policy, ...cells];
  });
  const rule = head.map((_, i) => (i === 0 ? '---' : '---:'));
  return [head, rule, ...lines].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
