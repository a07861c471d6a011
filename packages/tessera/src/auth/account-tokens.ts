import { formatCredential, generateId, generateSecret, hashesEqual, hashSecret, parseCredential } from '../crypto/tokens.js';
import { TesseraError } from '../errors.js';
import type { AccountTokenPurpose, AccountTokenRecord } from '../stores/types.js';
import type { AuthContext } from './context.js';

/**
 * Account tokens: the secrets mailed for email verification, password reset and email change.
 * They have the shape of session credentials (`<id>.<secret>`: a 128-bit id and a 256-bit
 * secret from the CSPRNG, base64url) and the same storage rule: the store keeps SHA-256(secret)
 * and finds the record by id, so a copy of the database holds no usable link.
 *
 * Each token is bound to one user and one purpose (a reset token cannot verify an email, and
 * the user comes from the record, never from the request), expires (30 minutes for a reset, a
 * day for the others, by default), and is spent by the store's atomic compare-and-delete:
 * however many requests race with one token, one wins.
 *
 * Every refusal is the same 400 `invalid_request` "The link is invalid or has expired.",
 * whether the token is malformed, unknown, for another purpose, expired or spent: no answer
 * tells an attacker which tokens exist.
 */

/** The one refusal of a bad, spent, expired or misdirected account token. */
export function invalidLink(): TesseraError {
  return new TesseraError('invalid_request', { message: 'The link is invalid or has expired.' });
}

/** Creates and stores a token for `userId` and `purpose`; returns the credential to mail. */
export async function issueAccountToken(
  ctx: AuthContext,
  userId: string,
  purpose: AccountTokenPurpose,
  email: string,
  ttlSeconds: number,
): Promise<string> {
  const now = ctx.options.clock.nowMs();
  const id = generateId(ctx.options.random);
  const secret = generateSecret(ctx.options.random);
  await ctx.store.createAccountToken({ id, userId, purpose, secretHash: hashSecret(secret), email, createdAt: now, expiresAt: now + ttlSeconds * 1000 });
  return formatCredential(id, secret);
}

/**
 * The work of {@link issueAccountToken} for a request that concerns no account (a password
 * reset for an unknown email): a token generated and hashed, and one store call by primary key
 * (a compare-and-delete of a fresh random id, which matches nothing). Returns the token, for a
 * decoy mail to be rendered with.
 */
export async function spendComparableWork(ctx: AuthContext, purpose: AccountTokenPurpose): Promise<string> {
  const id = generateId(ctx.options.random);
  const secret = generateSecret(ctx.options.random);
  await ctx.store.consumeAccountToken(id, purpose, hashSecret(secret), ctx.options.clock.nowMs());
  return formatCredential(id, secret);
}

function parseToken(token: unknown): { id: string; secretHash: string } {
  const parsed = typeof token === 'string' ? parseCredential(token.trim()) : null;
  if (!parsed) throw invalidLink();
  return { id: parsed.id, secretHash: hashSecret(parsed.secret) };
}

/**
 * Reads a token without spending it, for flows that must check more before they act (a reset
 * checks the new password first, so a weak one does not burn the link). The hash is compared
 * in constant time; purpose and expiry are checked. Spend it with {@link spendAccountToken}.
 */
export async function peekAccountToken(ctx: AuthContext, token: unknown, purpose: AccountTokenPurpose): Promise<AccountTokenRecord> {
  const { id, secretHash } = parseToken(token);
  const record = await ctx.store.getAccountToken(id);
  if (!record || !hashesEqual(record.secretHash, secretHash) || record.purpose !== purpose || record.expiresAt <= ctx.options.clock.nowMs()) {
    throw invalidLink();
  }
  return record;
}

/** Spends a token read by {@link peekAccountToken}; throws when another request spent it first (or it expired since). */
export async function spendAccountToken(ctx: AuthContext, record: AccountTokenRecord): Promise<void> {
  const spent = await ctx.store.consumeAccountToken(record.id, record.purpose, record.secretHash, ctx.options.clock.nowMs());
  if (!spent) throw invalidLink();
}

/** Parses and spends a token in one atomic step; returns its record. */
export async function consumeAccountToken(ctx: AuthContext, token: unknown, purpose: AccountTokenPurpose): Promise<AccountTokenRecord> {
  const { id, secretHash } = parseToken(token);
  const record = await ctx.store.consumeAccountToken(id, purpose, secretHash, ctx.options.clock.nowMs());
  if (!record) throw invalidLink();
  return record;
}
