import { createHash } from 'node:crypto';
import type { QueryConfig } from 'pg';
import type { AccountTokenPurpose, AccountTokenRecord, OutboxMail } from './types.js';

// The PostgreSQL store's account tokens and development outbox (schema step 4). Spending a
// token is one `DELETE … RETURNING` whose WHERE clause is the whole check: of concurrent
// deletes of one row, the first takes the row lock and deletes it; the others re-check the
// WHERE clause after it commits (READ COMMITTED), find the row gone, and return nothing.

type Int8 = string | number | bigint;

interface TokenRow {
  id: string;
  user_id: string;
  purpose: AccountTokenPurpose;
  secret_hash: string;
  email: string;
  created_at: Int8;
  expires_at: Int8;
}

interface MailRow {
  seq: Int8;
  at: Int8;
  recipient: string;
  subject: string;
  text_body: string;
  html_body: string;
  expires_at: Int8;
}

export type { TokenRow as AccountTokenRow, MailRow as OutboxMailRow };

export const toAccountToken = (r: TokenRow): AccountTokenRecord => ({
  id: r.id,
  userId: r.user_id,
  purpose: r.purpose,
  secretHash: r.secret_hash,
  email: r.email,
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
});

export const toOutboxMail = (r: MailRow): OutboxMail => ({
  seq: Number(r.seq),
  at: Number(r.at),
  to: r.recipient,
  subject: r.subject,
  text: r.text_body,
  html: r.html_body,
  expiresAt: Number(r.expires_at),
});

const TOKEN_COLUMNS = 'id, user_id, purpose, secret_hash, email, created_at, expires_at';
const MAIL_COLUMNS = 'seq, at, recipient, subject, text_body, html_body, expires_at';

function named(label: string, text: string): (values: unknown[]) => QueryConfig {
  const name = `tessera_${label}_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
  return (values) => ({ name, text, values });
}

/** The statements of the account tables, with the (quoted) schema spliced in. */
export function buildAccountStatements(s: string) {
  return {
    updateUserEmail: named(
      'update_user_email',
      `UPDATE ${s}.users SET email = $2, email_normalized = $3, email_verified_at = $4 WHERE id = $1`,
    ),
    // An earlier verification time is kept; the address must still be the one the link was for.
    setEmailVerified: named(
      'set_email_verified',
      `UPDATE ${s}.users SET email_verified_at = COALESCE(email_verified_at, $3) WHERE id = $1 AND email_normalized = $2`,
    ),
    insertToken: named('insert_account_token', `INSERT INTO ${s}.account_tokens (${TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`),
    tokenById: named('account_token_by_id', `SELECT ${TOKEN_COLUMNS} FROM ${s}.account_tokens WHERE id = $1`),
    consumeToken: named(
      'consume_account_token',
      `DELETE FROM ${s}.account_tokens WHERE id = $1 AND purpose = $2 AND secret_hash = $3 AND expires_at > $4
       RETURNING ${TOKEN_COLUMNS}`,
    ),
    deleteTokens: named('delete_account_tokens', `DELETE FROM ${s}.account_tokens WHERE user_id = $1 AND purpose = ANY ($2::text[])`),
    insertMail: named(
      'insert_outbox_mail',
      `INSERT INTO ${s}.mail_outbox (at, recipient, subject, text_body, html_body, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
    ),
    listMail: named('list_outbox_mail', `SELECT ${MAIL_COLUMNS} FROM ${s}.mail_outbox ORDER BY seq DESC LIMIT $1`),
  };
}

/** The purge's extra CTEs (account tokens and outbox mail past `$1`), and the count they add. */
export function accountPurgeParts(s: string): { ctes: string; count: string } {
  return {
    ctes: `, t AS (
         DELETE FROM ${s}.account_tokens WHERE expires_at <= $1 RETURNING 1
       ), m AS (
         DELETE FROM ${s}.mail_outbox WHERE expires_at <= $1 RETURNING 1
       )`,
    count: ' + (SELECT count(*) FROM t) + (SELECT count(*) FROM m)',
  };
}
