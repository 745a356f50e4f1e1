/**
 * A store fault on the request path is a 503 with `Retry-After`, not a 500: every rejection of
 * the wrapped store becomes a {@link StoreUnavailableError}, which the pipeline renders once.
 * @module
 */
import { StoreUnavailableError } from '../../policy/index.js';
import type { StateStore } from './types.js';

/** The store with every method's rejection turned into a StoreUnavailableError naming `what`. */
export function guarded(store: StateStore, what = 'The mock state store'): StateStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || prop === 'close') return value;
      return (...args: unknown[]) =>
        (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).catch((err: unknown) => {
          throw err instanceof StoreUnavailableError ? err : new StoreUnavailableError(what, err);
        });
    },
  });
}
