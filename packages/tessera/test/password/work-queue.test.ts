import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from '../../src/password/work-queue.js';
import { isTesseraError } from '../../src/errors.js';

/** A task whose completion the test controls. */
function gate<T>(value: T): { task: () => Promise<T>; open: () => void; started: () => boolean } {
  let release!: () => void;
  let started = false;
  const done = new Promise<void>((resolve) => (release = resolve));
  return {
    task: async () => {
      started = true;
      await done;
      return value;
    },
    open: () => release(),
    started: () => started,
  };
}

test('at most `concurrency` tasks run; waiters start in FIFO order; overflow is refused', async () => {
  const queue = new WorkQueue({ concurrency: 2, maxQueue: 2 });
  const gates = [gate('a'), gate('b'), gate('c'), gate('d')];
  const results = gates.map((g) => queue.run(g.task));
  assert.deepEqual(queue.stats(), { inFlight: 2, waiting: 2 });
  assert.deepEqual(gates.map((g) => g.started()), [true, true, false, false]);

  const refused = queue.run(async () => 'e');
  await assert.rejects(refused, (e: unknown) => isTesseraError(e, 'unavailable') && e.retryAfterSeconds === 1);

  gates[1]!.open();
  assert.equal(await results[1], 'b');
  await Promise.resolve();
  assert.deepEqual(gates.map((g) => g.started()), [true, true, true, false], 'the oldest waiter got the slot');
  assert.deepEqual(queue.stats(), { inFlight: 2, waiting: 1 });

  for (const g of gates) g.open();
  assert.deepEqual(await Promise.all(results), ['a', 'b', 'c', 'd']);
  assert.deepEqual(queue.stats(), { inFlight: 0, waiting: 0 });
});

test('a failing task releases its slot and rejects only its own caller', async () => {
  const queue = new WorkQueue({ concurrency: 1, maxQueue: 1 });
  const failing = queue.run(async () => {
    throw new Error('boom');
  });
  const syncThrow = queue.run((() => {
    throw new Error('sync boom');
  }) as () => Promise<never>);
  await assert.rejects(failing, /boom/);
  await assert.rejects(syncThrow, /sync boom/);
  assert.equal(await queue.run(async () => 42), 42);
  assert.deepEqual(queue.stats(), { inFlight: 0, waiting: 0 });
});

test('maxQueue 0 refuses anything beyond the running tasks', async () => {
  const queue = new WorkQueue({ concurrency: 1, maxQueue: 0, retryAfterSeconds: 5 });
  const g = gate(1);
  const running = queue.run(g.task);
  await assert.rejects(queue.run(async () => 2), (e: unknown) => isTesseraError(e, 'unavailable') && e.retryAfterSeconds === 5);
  g.open();
  assert.equal(await running, 1);
});

test('invalid sizes are refused', () => {
  assert.throws(() => new WorkQueue({ concurrency: 0, maxQueue: 1 }), RangeError);
  assert.throws(() => new WorkQueue({ concurrency: 1, maxQueue: -1 }), RangeError);
  assert.throws(() => new WorkQueue({ concurrency: 1.5, maxQueue: 1 }), RangeError);
});
