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

/** Compiles the model's path templates once; literal segments win over parameters. */
export function createRouter(model: ContractModel): Router {
  const compiled = model.operations
    .map((operation) => {
      const names: string[] = [];
      const source = operation.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      return { operation, names, regex: new RegExp(`^${source}$`), literal: names.length === 0 };
    })
    .sort((a, b) => Number(b.literal) - Number(a.literal) || a.names.length - b.names.length);
  return {
    match(method, pathname) {
      const allowed: string[] = [];
      for (const c of compiled) {
        const m = c.regex.exec(pathname);
        if (!m) continue;
        if (c.operation.method !== method.toUpperCase()) {
          allowed.push(c.operation.method);
          continue;
        }
        const params: Record<string, string> = {};
        c.names.forEach((name, i) => {
          params[name] = safeDecode(m[i + 1]!);
        });
        return { operation: c.operation, params };
      }
      return { operation: null, allowed: [...new Set(allowed)].sort() };
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
