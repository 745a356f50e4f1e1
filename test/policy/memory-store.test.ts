import { MemoryStore } from '../../src/policy/index.js';
import { storeSuite } from './store-suite.js';

storeSuite('MemoryStore', async () => {
  // one process, one store: a second "engine" shares the same instance
  const store = new MemoryStore();
  return { open: async () => store, close: () => store.close() };
});
