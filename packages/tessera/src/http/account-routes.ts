import type { AuthRoute } from './auth-routes.js';
import { AUTH_ROUTE_SCHEMAS } from './route-schemas.js';
import { body, checkOrigin, clientOf, json, noContent, requireAuth } from './route-kit.js';

/**
 * The account lifecycle routes, framework-free (every adapter serves them with the others):
 * email verification, password reset, email change and deletion of one's own account.
 *
 * - Routes that spend a mailed token need no session: the link may be opened on another
 *   device. The token names the account; nothing in the request can point it elsewhere.
 * - Unauthenticated ones still pass the CSRF origin check, as sign-up and sign-in do: a
 *   cross-site page must not be able to drive them from a victim's browser.
 * - The 202 of a password reset request has one fixed body, whatever the email.
 */

const s = AUTH_ROUTE_SCHEMAS;

/** The one answer of a password reset request. */
export const PASSWORD_RESET_ACCEPTED = Object.freeze({
  message: 'If an account with this email exists, a link to reset its password has been sent to it.',
});

export const ACCOUNT_ROUTES: readonly AuthRoute[] = [
  {
    method: 'POST', path: '/verify-email', bodySchema: s.verifyEmail,
    async handle(auth, request) {
      checkOrigin(auth, request);
      const user = await auth.verifyEmail(body(request).token, clientOf(request));
      return json(200, { user });
    },
  },
  {
    method: 'POST', path: '/verify-email/resend', bodySchema: s.empty, status: 202, caller: 'signed-in', bodyOptional: true,
    async handle(auth, request) {
      const who = await requireAuth(auth, request);
      await auth.resendVerification(who.userId);
      return json(202, { message: 'A verification link has been sent.' });
    },
  },
  {
    method: 'POST', path: '/password-reset', bodySchema: s.passwordReset, status: 202,
    async handle(auth, request) {
      checkOrigin(auth, request);
      await auth.requestPasswordReset(body(request).email, clientOf(request));
      return json(202, PASSWORD_RESET_ACCEPTED);
    },
  },
  {
    method: 'POST', path: '/password-reset/confirm', bodySchema: s.passwordResetConfirm, status: 204,
    async handle(auth, request) {
      checkOrigin(auth, request);
      const b = body(request);
      await auth.confirmPasswordReset({ token: b.token, newPassword: b.newPassword }, clientOf(request));
      return noContent();
    },
  },
  {
    method: 'POST', path: '/email', bodySchema: s.emailChange, status: 202, caller: 'signed-in',
    async handle(auth, request) {
      const who = await requireAuth(auth, request);
      const b = body(request);
      await auth.requestEmailChange({ userId: who.userId, newEmail: b.newEmail, currentPassword: b.currentPassword }, clientOf(request));
      return json(202, { message: 'A confirmation link has been sent to the new address.' });
    },
  },
  {
    method: 'POST', path: '/email/confirm', bodySchema: s.emailConfirm,
    async handle(auth, request) {
      checkOrigin(auth, request);
      const user = await auth.confirmEmailChange(body(request).token, clientOf(request));
      return json(200, { user });
    },
  },
  {
    method: 'POST', path: '/delete-account', bodySchema: s.deleteAccount, status: 204, caller: 'signed-in',
    async handle(auth, request) {
      const who = await requireAuth(auth, request);
      await auth.deleteAccount({ userId: who.userId, currentPassword: body(request).currentPassword }, clientOf(request));
      return noContent(auth.clearCookies());
    },
  },
];
