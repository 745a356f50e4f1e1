/**
 * Hot reload: edits under openapi/ or mocks/ rebuild the contract and fixtures (debounced);
 * counters and state are kept (tenants new to the fixtures are seeded; `POST /__mock/reset`
 * applies edited fixtures to existing tenants). A broken edit keeps the last good contract.
 * @module
 */
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

/** Calls `reload` 150 ms after the last change under the contract's folder or `mocksDir`; returns a stop function. */
export function watchSources(root: string, mocksDir: string, reload: () => Promise<void>): () => void {
  let timer: NodeJS.Timeout | undefined;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      reload().then(
        () => console.error('traceloom mock: reloaded openapi/ and mocks/'),
        (err: Error) => console.error(`traceloom mock: kept the last good contract; fix this and save again:\n  ${err.message}`),
      );
    }, 150);
  };
  const watchers: FSWatcher[] = [join(root, '..'), mocksDir].map((dir) => watch(dir, { recursive: true }, changed));
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
