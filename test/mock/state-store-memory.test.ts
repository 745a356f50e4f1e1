import { MemoryStateStore } from '../../src/mock/store/index.js';
import { stateStoreSuite } from './state-store-suite.js';

stateStoreSuite('MemoryStateStore', async () => {
  // one process, one store: a second "instance" shares the same object
  const store = new MemoryStateStore();
  return { open: async () => store, close: () => store.close() };
});
