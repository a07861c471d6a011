import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GOOD_PASSWORD, startTestServer } from '../helpers/test-server.js';
import { runCli } from '../cli/run-cli.js';

describe('tessera mail list', () => {
  it('prints the development outbox, newest first, as a table, in full and as JSON', async () => {
    const s = await startTestServer();
    const { dataDir } = s;
    try {
      for (const email of ['first@example.com', 'second@example.com']) {
        await s.app.inject({ method: 'POST', url: '/auth/register', payload: { email, password: GOOD_PASSWORD } });
      }
      await s.auth.flushMail();
    } finally {
      await s.close();
    }
    try {
      const table = await runCli(dataDir, ['mail', 'list']);
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /SEQ +AT +TO +SUBJECT/);
      assert.ok(table.stdout.indexOf('second@example.com') < table.stdout.indexOf('first@example.com'), 'newest first');

      const json = await runCli(dataDir, ['mail', 'list', '--json', '--limit', '1']);
      assert.equal(json.code, 0, json.stderr);
      const { mail } = JSON.parse(json.stdout);
      assert.equal(mail.length, 1);
      assert.equal(mail[0].to, 'second@example.com');
      assert.match(mail[0].text, /verify-email\?token=/);

      const full = await runCli(dataDir, ['mail', 'list', '--full', '--limit', '1']);
      assert.match(full.stdout, /Subject: Verify your email address/);
      assert.match(full.stdout, /#\/verify-email\?token=/);

      assert.equal((await runCli(dataDir, ['mail', 'list', '--limit', '0'])).code, 2);
      assert.equal((await runCli(dataDir, ['mail', 'nope'])).code, 2);
    } finally {
      const { rmSync } = await import('node:fs');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
