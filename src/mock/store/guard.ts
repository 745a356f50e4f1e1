/**
 * A store fault on the request path is a 503 with `Retry-After`, not a 500: every rejection of
 * the wrapped store becomes a {@link StoreUnavailableError}, which the pipeline renders once.
 * @module
 */
import { StoreUnavailableError } from '../../policy/index.js';
import type { StateStore } from './types.js';

/** The store with every method's rejection turned into a StoreUnavailableError naming `what`. */
export function guarded(store: StateStore, what = 'The mock state store'): StateStore {
  // One wrapper per method, made on first use: every state read on the request path goes through here.
  const wrappers = new Map<PropertyKey, { method: unknown; wrapper: (...args: unknown[]) => Promise<unknown> }>();
  const rethrow = (err: unknown) => {
    throw err instanceof StoreUnavailableError ? err : new StoreUnavailableError(what, err);
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || prop === 'close') return value;
      const kept = wrappers.get(prop);
      if (kept !== undefined && kept.method === value) return kept.wrapper;
      const method = value as (...a: unknown[]) => Promise<unknown>;
      const wrapper = (...args: unknown[]) => method.apply(target, args).catch(rethrow);
      wrappers.set(prop, { method, wrapper });
      return wrapper;
    },
  });
}
