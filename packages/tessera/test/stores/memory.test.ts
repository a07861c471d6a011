import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryStore, MemoryStore } from '../../src/stores/memory.js';
import { runStoreConformance } from './conformance.js';
import { makeUser } from './conformance-fixtures.js';

runStoreConformance('memory', async () => {
  const store = createMemoryStore();
  return { store, cleanup: () => store.close() };
});

describe('MemoryStore', () => {
  it('createMemoryStore returns independent, empty stores', async () => {
    const a = createMemoryStore();
    const b = createMemoryStore();
    assert.ok(a instanceof MemoryStore);
    await a.createUser(makeUser(1));
    assert.equal(await b.getUserById('user-1'), null);
    assert.deepEqual(await a.getUserById('user-1'), makeUser(1));
  });
});
