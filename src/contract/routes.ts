/**
 * Matching a request's method and path to the contract's operations.
 * @module
 */
import type { ContractModel, OperationModel } from './model.js';

export interface RouteMatch {
  operation: OperationModel;
  params: Record<string, string>;
}

export interface Router {
  /** The operation for this method and path, or why there is none. */
  match(method: string, pathname: string): RouteMatch | { operation: null; allowed: string[] };
}

interface Template {
  operation: OperationModel;
  names: string[];
  regex: RegExp;
}

/**
 * Compiles the model's paths once. A literal path wins over a template (`/v1/traces/search`
 * before `/v1/traces/{trace_id}`), a template with fewer parameters over one with more; the first
 * that matches both path and method answers. Literal paths are one Map lookup (most requests);
 * templates are tried in order. The methods a path allows are gathered only when nothing matched.
 */
export function createRouter(model: ContractModel): Router {
  const literal = new Map<string, Map<string, RouteMatch>>();
  const templates: Template[] = [];
  for (const operation of model.operations) {
    const names: string[] = [];
    const source = operation.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    if (names.length === 0) {
      let byMethod = literal.get(operation.path);
      if (!byMethod) literal.set(operation.path, (byMethod = new Map()));
      // One match per literal route, made here: it has no parameters, so every request may share it.
      byMethod.set(operation.method, Object.freeze({ operation, params: Object.freeze({}) as Record<string, string> }));
    } else templates.push({ operation, names, regex: new RegExp(`^${source}$`) });
  }
  templates.sort((a, b) => a.names.length - b.names.length);

  function allowedAt(pathname: string): string[] {
    const allowed = new Set(literal.get(pathname)?.keys());
    for (const t of templates) if (t.regex.test(pathname)) allowed.add(t.operation.method);
    return [...allowed].sort();
  }

  return {
    match(method, pathname) {
      const upper = method.toUpperCase();
      const hit = literal.get(pathname)?.get(upper);
      if (hit) return hit;
      for (const t of templates) {
        if (t.operation.method !== upper) continue;
        const m = t.regex.exec(pathname);
        if (!m) continue;
        const params: Record<string, string> = {};
        for (let i = 0; i < t.names.length; i++) params[t.names[i]!] = safeDecode(m[i + 1]!);
        return { operation: t.operation, params };
      }
      return { operation: null, allowed: allowedAt(pathname) };
    },
  };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
