import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_STATUS, TesseraError } from '../src/errors.js';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

describe('docs/errors.md', () => {
  it('lists every error code with its status, and no code that does not exist', () => {
    const rows = [...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    assert.deepEqual(Object.fromEntries(rows), ERROR_STATUS);
  });
  it('every code makes an error with that status and the spec shape', () => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      const e = new TesseraError(code as keyof typeof ERROR_STATUS);
      assert.equal(e.status, status);
      assert.deepEqual(Object.keys(e.toJSON().error), ['code', 'message']);
      assert.ok(e.message.length > 0);
    }
  });
});
