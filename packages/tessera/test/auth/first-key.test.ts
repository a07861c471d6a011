import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/index.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { makeTessera } from './fixture.js';

describe('first start of a deployment', () => {
  it('instances starting together agree on one first signing key', async () => {
    const store = createMemoryStore();
    await store.migrate();
    const clock = new ManualClock();
    // Slow the key insert down, so the starts really overlap.
    const insert = store.insertSigningKey.bind(store);
    store.insertSigningKey = async (k) => { await new Promise((r) => setTimeout(r, 50)); return insert(k); };
    const instances = await Promise.all([1, 2, 3].map(() => makeTessera({}, { store, clock })));
    assert.equal((await store.listSigningKeys()).length, 1, 'exactly one first key');
    const kids = instances.map((f) => JSON.stringify(f.auth.jwks().keys.map((k) => (k as { kid: string }).kid)));
    assert.equal(new Set(kids).size, 1, 'every instance publishes the same key');
  });
});
