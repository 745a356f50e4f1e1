/**
 * How much of each meter a request would use (`x-traceloom-quota`), counted from its body.
 * @module
 */
import type { OperationModel, QuotaRule } from '../contract/index.js';

/** Values at a dotted path such as `traces[].spans` or `resourceSpans[].scopeSpans[].spans[]`. */
export function collect(body: unknown, path: string): unknown[] {
  let current: unknown[] = [body];
  for (const segment of path.split('.')) {
    const name = segment.replace(/\[\]$/, '');
    const next: unknown[] = [];
    for (const value of current) {
      const child = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[name] : undefined;
      if (child === undefined) continue;
      if (segment.endsWith('[]') && Array.isArray(child)) next.push(...child);
      else next.push(child);
    }
    current = next;
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v]));
}

function countOne(rule: QuotaRule, body: unknown): number {
  if (rule.count === 'per_request') return 1;
  const items = collect(body, rule.items ?? '');
  if (!rule.distinct) return items.length;
  const seen = new Set<unknown>();
  for (const item of items) if (item && typeof item === 'object') seen.add((item as Record<string, unknown>)[rule.distinct]);
  return seen.size;
}

const NO_METERS: Record<string, number> = Object.freeze({});

/** Units per meter the request would add; empty (shared, read-only) for operations without quotas. */
export function metersOf(op: OperationModel, body: unknown): Record<string, number> {
  if (op.quotas.length === 0) return NO_METERS;
  const out: Record<string, number> = {};
  for (const rule of op.quotas) out[rule.meter] = (out[rule.meter] ?? 0) + countOne(rule, body);
  return out;
}
