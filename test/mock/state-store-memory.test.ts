import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../src/mock/store/index.js';
import { copy } from '../../src/mock/store/memory.js';
import { stateStoreSuite } from './state-store-suite.js';

stateStoreSuite('MemoryStateStore', async () => {
  // one process, one store: a second "instance" shares the same object
  const store = new MemoryStateStore();
  return { open: async () => store, close: () => store.close() };
});

describe('MemoryStateStore copy', () => {
  it('copies documents deeply, keeping undefined members, __proto__ keys as data and non-JSON objects by type', () => {
    const doc = { a: [1, { b: 'x' }], u: undefined, when: new Date(0), n: null };
    Object.defineProperty(doc, '__proto__', { value: 'data', enumerable: true, writable: true, configurable: true });
    const out = copy(doc);
    expect(out).toEqual(doc);
    expect(out.a).not.toBe(doc.a);
    expect(out.a[1]).not.toBe(doc.a[1]);
    expect('u' in out).toBe(true);
    expect(out.when).toBeInstanceOf(Date);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toBe('data');
  });
});
