import { TesseraError } from '../errors.js';
import { accountDeletedMail } from '../mail/templates.js';
import { mailSite, queueMail } from './account-mail.js';
import { removeAccount } from './admin.js';
import type { AuthContext } from './context.js';
import { reauthenticate } from './credentials.js';
import type { ClientInfo } from './public-types.js';

/**
 * `POST /auth/delete-account`: the signed-in user deletes their own account, after proving the
 * current password (a session left open on a shared computer must not be enough). The same
 * path as an administrator's delete: disabled first, every session record and token family
 * ended on every instance, then the account, its records and its pending links removed; the
 * audit log keeps an `account_deleted` entry under the account's opaque id. The address gets
 * a notice (a deletion by someone who took over a session and knows the password must not go
 * unnoticed); an administrator's delete sends none.
 */
export async function deleteOwnAccount(ctx: AuthContext, input: { userId: string; currentPassword: unknown }, client: ClientInfo): Promise<void> {
  const user = await ctx.store.getUserById(input.userId);
  if (!user || user.disabledAt !== null) throw new TesseraError('unauthorized');
  await reauthenticate(ctx, user, input.currentPassword, client);
  if (!(await removeAccount(ctx, user.id, { audit: 'account_deleted', reason: 'account_deleted', ip: client.ip }))) {
    throw new TesseraError('unauthorized');
  }
  const at = new Date(ctx.options.clock.nowMs());
  queueMail(ctx, 'account_deleted', () => accountDeletedMail({ ...mailSite(ctx), to: user.email, at }));
}
