import type { Database, Statement } from 'better-sqlite3';
import type { AccountTokenPurpose, AccountTokenRecord, NewOutboxMail, OutboxMail } from './types.js';

// The SQLite store's account tokens and development outbox (schema step 4), prepared once
// after the schema exists. Spending a token is one `DELETE … RETURNING` whose WHERE clause is
// the whole check (id, purpose, hash, expiry): better-sqlite3 runs it to completion before
// anything else, and another process's write waits for the file lock, so exactly one caller
// gets the row.

const TOKEN_COLUMNS =
  'id, user_id AS userId, purpose, secret_hash AS secretHash, email, created_at AS createdAt, expires_at AS expiresAt';

const MAIL_COLUMNS =
  'seq, at, recipient AS "to", subject, text_body AS text, html_body AS html, expires_at AS expiresAt';

/** The statements of the account tables. */
export interface AccountStatements {
  insertToken: Statement<[AccountTokenRecord]>;
  tokenById: Statement<[string], AccountTokenRecord>;
  consumeToken: Statement<[string, AccountTokenPurpose, string, number], AccountTokenRecord>;
  deleteTokens: Statement<[string, string]>;
  purgeTokens: Statement<[number]>;
  insertMail: Statement<[NewOutboxMail]>;
  listMail: Statement<[number], OutboxMail>;
  purgeMail: Statement<[number]>;
}

/** Prepares {@link AccountStatements} (after the schema exists). */
export function prepareAccountStatements(db: Database): AccountStatements {
  return {
    insertToken: db.prepare<AccountTokenRecord>(
      `INSERT INTO account_tokens (id, user_id, purpose, secret_hash, email, created_at, expires_at)
       VALUES (@id, @userId, @purpose, @secretHash, @email, @createdAt, @expiresAt)`,
    ),
    tokenById: db.prepare<[string], AccountTokenRecord>(`SELECT ${TOKEN_COLUMNS} FROM account_tokens WHERE id = ?`),
    consumeToken: db.prepare<[string, AccountTokenPurpose, string, number], AccountTokenRecord>(
      `DELETE FROM account_tokens WHERE id = ? AND purpose = ? AND secret_hash = ? AND expires_at > ?
       RETURNING ${TOKEN_COLUMNS}`,
    ),
    // The purposes travel as one JSON array parameter.
    deleteTokens: db.prepare<[string, string]>(
      'DELETE FROM account_tokens WHERE user_id = ? AND purpose IN (SELECT value FROM json_each(?))',
    ),
    purgeTokens: db.prepare<[number]>('DELETE FROM account_tokens WHERE expires_at <= ?'),
    insertMail: db.prepare<NewOutboxMail>(
      `INSERT INTO mail_outbox (at, recipient, subject, text_body, html_body, expires_at)
       VALUES (@at, @to, @subject, @text, @html, @expiresAt)`,
    ),
    listMail: db.prepare<[number], OutboxMail>(`SELECT ${MAIL_COLUMNS} FROM mail_outbox ORDER BY seq DESC LIMIT ?`),
    purgeMail: db.prepare<[number]>('DELETE FROM mail_outbox WHERE expires_at <= ?'),
  };
}

/** Stores a token (a fresh copy of exactly the contract's fields). */
export function insertAccountToken(s: AccountStatements, t: AccountTokenRecord): void {
  s.insertToken.run({
    id: t.id, userId: t.userId, purpose: t.purpose, secretHash: t.secretHash, email: t.email, createdAt: t.createdAt, expiresAt: t.expiresAt,
  });
}

/** Appends a message to the outbox (exactly the contract's fields). */
export function insertOutboxMail(s: AccountStatements, m: NewOutboxMail): void {
  s.insertMail.run({ at: m.at, to: m.to, subject: m.subject, text: m.text, html: m.html, expiresAt: m.expiresAt });
}
