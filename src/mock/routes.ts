/**
 * The mock's one route table: every stateful API operation (by operationId; the contract's router
 * matches its path) and every control operation (by method and path under `/__mock`).
 * Operations of the contract not listed here are answered by Prism.
 * @module
 */
import { reset, setClock, setPlan, setProjectStatus, setUsage, snapshot, type ControlHandler } from './control.js';
import { resources, type Resource } from './resources/index.js';

export type Route = { kind: 'operation'; operationId: string; run: Resource } | { kind: 'control'; method: string; path: RegExp; run: ControlHandler };

const control = (method: string, path: RegExp, run: ControlHandler): Route => ({ kind: 'control', method, path, run });

/** Every route of the mock. */
export const ROUTES: readonly Route[] = [
  ...Object.entries(resources).map(([operationId, run]): Route => ({ kind: 'operation', operationId, run })),
  control('GET', /^\/__mock\/state$/, snapshot),
  control('POST', /^\/__mock\/reset$/, reset),
  control('POST', /^\/__mock\/clock$/, setClock),
  control('PUT', /^\/__mock\/tenants\/([^/]+)\/plan$/, setPlan),
  control('PUT', /^\/__mock\/tenants\/([^/]+)\/usage$/, setUsage),
  control('PUT', /^\/__mock\/projects\/([^/]+)$/, setProjectStatus),
];

const operations = new Map(ROUTES.flatMap((r) => (r.kind === 'operation' ? [[r.operationId, r.run] as const] : [])));
const controls = ROUTES.filter((r): r is Extract<Route, { kind: 'control' }> => r.kind === 'control');

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** The stateful handler of an operation, if it has one. */
export function operationRoute(operationId: string): Resource | undefined {
  return operations.get(operationId);
}

/** The control handler for a method and path, with the path's parameters; or the methods the path allows. */
export function controlRoute(method: string, path: string): { run: ControlHandler; params: string[] } | { allowed: string[] } {
  const allowed: string[] = [];
  for (const r of controls) {
    const m = r.path.exec(path);
    if (!m) continue;
    if (r.method === method) return { run: r.run, params: m.slice(1).map(decode) };
    allowed.push(r.method);
  }
  return { allowed };
}
