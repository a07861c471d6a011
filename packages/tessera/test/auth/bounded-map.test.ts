import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedMap } from '../../src/bounded-map.js';

describe('BoundedMap', () => {
  it('holds at most maxEntries and evicts the oldest-inserted first', () => {
    const m = new BoundedMap<string, number>(3);
    for (let i = 0; i < 10; i++) m.set(`k${i}`, i);
    assert.equal(m.size, 3);
    assert.deepEqual([m.get('k6'), m.get('k7'), m.get('k8'), m.get('k9')], [undefined, 7, 8, 9]);
  });

  it('a deleted entry frees nothing early: the others keep their turn', () => {
    const m = new BoundedMap<string, number>(3);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    m.delete('b');
    m.set('d', 4); // takes a's slot: a goes, c stays
    assert.deepEqual([m.get('a'), m.get('b'), m.get('c'), m.get('d')], [undefined, undefined, 3, 4]);
    assert.equal(m.size, 2);
  });

  it('a key set again may leave early (when its first slot comes round), never stays past its bound', () => {
    const m = new BoundedMap<string, number>(2);
    m.set('a', 1);
    m.set('a', 2);
    assert.equal(m.get('a'), 2);
    m.set('b', 3); // a's first slot: a goes early
    assert.deepEqual([m.get('a'), m.get('b')], [undefined, 3]);
    assert.ok(m.size <= 2);
  });

  it('maxEntries 0 keeps nothing; clear empties it and starts the ring over', () => {
    const none = new BoundedMap<string, number>(0);
    none.set('a', 1);
    assert.equal(none.get('a'), undefined);
    const m = new BoundedMap<string, number>(2);
    m.set('a', 1);
    m.set('b', 2);
    m.clear();
    assert.equal(m.size, 0);
    m.set('c', 3);
    m.set('d', 4);
    assert.deepEqual([m.get('c'), m.get('d')], [3, 4]);
  });

  it('keeps exactly the newest maxEntries over many turns of the ring', () => {
    const m = new BoundedMap<string, number>(10_000);
    for (let i = 0; i < 110_000; i++) m.set(`token-${i}`, i);
    assert.equal(m.size, 10_000);
    assert.equal(m.get('token-109999'), 109_999);
    assert.equal(m.get('token-100000'), 100_000);
    assert.equal(m.get('token-99999'), undefined);
  });
});
