import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Argon2Workers } from '../../src/password/argon2-workers.js';

const CHEAP = { algorithm: 2, memoryCost: 1024, timeCost: 1, parallelism: 1 } as const;

/** The `nice` value of every thread of this process (field 19 of /proc/self/task/<tid>/stat). */
function threadNiceness(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // The command name may hold spaces: the fields after it start past the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[16]);
  });
}

describe('argon2 workers', () => {
  it('hash and verify round-trip; a malformed hash is an error that leaves the worker usable', async () => {
    const pool = new Argon2Workers({ size: 1, niceness: 10 });
    try {
      const hash = await pool.hash('correct horse battery staple', CHEAP);
      assert.match(hash, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
      assert.equal(await pool.verify(hash, 'correct horse battery staple'), true);
      assert.equal(await pool.verify(hash, 'correct horse battery stapler'), false);
      await assert.rejects(pool.verify('not a hash', 'x'));
      assert.equal(await pool.verify(hash, 'correct horse battery staple'), true, 'the same worker goes on');
    } finally {
      await pool.close();
    }
  });

  it('the hashing threads run at the lowered priority, the event loop at its own', { skip: existsSync('/proc/thread-self') ? undefined : 'no /proc/thread-self (not Linux)' }, async () => {
    const before = threadNiceness();
    assert.ok(!before.includes(13), 'no thread at nice 13 yet');
    const pool = new Argon2Workers({ size: 2, niceness: 13 });
    try {
      await Promise.all([pool.hash('a long enough password one', CHEAP), pool.hash('a long enough password two', CHEAP)]);
      const after = threadNiceness();
      assert.equal(after.filter((n) => n === 13).length, 2, `two workers at nice 13: ${after.join(',')}`);
      assert.equal(after[0], before[0], 'the main thread keeps its priority');
    } finally {
      await pool.close();
    }
  });

  it('at most `size` workers, however many jobs; idle ones exit and a new one starts on demand', async () => {
    const pool = new Argon2Workers({ size: 2, niceness: 0, idleMs: 100 });
    try {
      const running = Array.from({ length: 6 }, (_, i) => pool.hash(`password number ${i} long enough`, CHEAP));
      await sleep(20);
      assert.equal(pool.workers, 2, 'two workers for six jobs');
      const hashes = await Promise.all(running);
      assert.equal(new Set(hashes).size, 6);
      assert.equal(pool.workers, 2);
      await sleep(400);
      assert.equal(pool.workers, 0, 'idle workers exited');
      assert.equal(await pool.verify(hashes[0]!, 'password number 0 long enough'), true, 'a new worker starts when needed');
    } finally {
      await pool.close();
    }
  });

  it('a worker that stops during a job fails that job only; the next job gets a new worker', async () => {
    const pool = new Argon2Workers({ size: 1, niceness: 0 });
    try {
      const slow = pool.hash('a long enough password to hash', { ...CHEAP, memoryCost: 65536, timeCost: 3 });
      await sleep(5);
      await pool.close(); // stops the worker mid-hash
      await assert.rejects(slow, /stopped/);
      assert.match(await pool.hash('another long enough password', CHEAP), /^\$argon2id\$/);
    } finally {
      await pool.close();
    }
  });
});
