// The account lifecycle calls (docs/api.md): email verification, password reset, email change
// and deletion of one's own account. The tokens of mailed links are sent in a JSON body only,
// never in a URL. Errors are ApiErrors, as in api.js.
import { authed, endedHere, reloadUser, request } from './api.js';

function userOf(data) {
  return data !== null && typeof data === 'object' && data.user !== null && typeof data.user === 'object' ? data.user : null;
}

/** Spends a verification token (no sign-in needed: the link may be opened anywhere). Resolves to the user. */
export async function verifyEmail(token) {
  const user = userOf(await request('POST', '/auth/verify-email', { body: { token: token } }));
  // A tab signed in as this user shows "verified" from now on.
  await reloadUser().catch(() => undefined);
  return user;
}

/** Asks for a new verification mail for the signed-in user's address. */
export async function resendVerification() {
  await authed('POST', '/auth/verify-email/resend', {});
}

/** Asks for a password reset link; the answer is the same whether or not the account exists. */
export async function requestPasswordReset(email) {
  await request('POST', '/auth/password-reset', { body: { email: email } });
}

/**
 * Sets a new password with a reset token. The server ends every session of the account, so a
 * tab signed in here is signed out too (and its other tabs with it).
 */
export async function confirmPasswordReset(token, newPassword) {
  await request('POST', '/auth/password-reset/confirm', { body: { token: token, newPassword: newPassword } });
  endedHere();
}

/** Asks to change the signed-in user's email; a confirmation link goes to the new address. */
export async function requestEmailChange(newEmail, currentPassword) {
  await authed('POST', '/auth/email', { newEmail: newEmail, currentPassword: currentPassword });
}

/** Confirms an email change with its token. Resolves to the user, with the new email. */
export async function confirmEmailChange(token) {
  const user = userOf(await request('POST', '/auth/email/confirm', { body: { token: token } }));
  await reloadUser().catch(() => undefined);
  return user;
}

/** Deletes the signed-in user's account; this tab (and its siblings) forget the sign-in at once. */
export async function deleteAccount(currentPassword) {
  await authed('POST', '/auth/delete-account', { currentPassword: currentPassword });
  endedHere();
}
