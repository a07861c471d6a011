// The account page's lifecycle part: whether the email is verified (and a new verification
// mail), changing the email (confirmed from the new address), deleting the account.
import { deleteAccount, requestEmailChange, resendVerification } from '../account-api.js';
import { describeError, describeWait } from '../api.js';
import { byId, setText } from '../dom.js';
import { formatTime } from '../format.js';
import { navigate } from '../router.js';
import { busy, report, say } from '../status.js';

/** Shows the verification state of `user` (from GET /auth/me). */
export function showEmailState(user) {
  const verifiedAt = user && typeof user.emailVerifiedAt === 'string' ? user.emailVerifiedAt : null;
  setText('account-verified', verifiedAt === null ? 'Not verified yet' : 'Verified on ' + formatTime(verifiedAt));
  byId('account-verified').className = verifiedAt === null ? 'pill error' : 'pill ok';
  byId('account-resend-box').hidden = verifiedAt !== null;
}

function wireResend(reload) {
  byId('account-resend').addEventListener('click', (event) => {
    void busy(event.currentTarget, async () => {
      say('Sending a new verification mail…', 'info');
      try {
        await resendVerification();
        say('A new verification mail is on its way to your address. Open the link in it; earlier links keep working until they expire.', 'ok');
      } catch (error) {
        if (error.status === 429) {
          say('Several verification mails were sent to you in the last hour. ' + describeWait(error.retryAfter) + ' Meanwhile, the link of an earlier mail still works.', 'error');
        } else if (error.status === 400) {
          // Already verified (perhaps in another tab): show it.
          say(describeError(error), 'ok');
          await reload().catch(() => undefined);
        } else {
          report(error);
        }
      }
    });
  });
}

function wireEmailChange() {
  byId('email-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const emailInput = byId('email-new');
    const passwordInput = byId('email-password');
    const newEmail = emailInput.value.trim();
    if (newEmail === '' || passwordInput.value === '') {
      say('Enter the new email address and your current password.', 'error');
      (newEmail === '' ? emailInput : passwordInput).focus();
      return;
    }
    void busy(byId('email-submit'), async () => {
      say('Asking for the change…', 'info');
      try {
        await requestEmailChange(newEmail, passwordInput.value);
        passwordInput.value = '';
        emailInput.value = '';
        say('Almost done: we have mailed a confirmation link to ' + newEmail + '. Your address changes when you open that link; until then your account keeps its current address, which gets a notice of the request.', 'ok');
      } catch (error) {
        passwordInput.value = '';
        report(error);
        (error.status === 401 ? passwordInput : emailInput).focus();
      }
    });
  });
}

function wireDelete() {
  byId('delete-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const passwordInput = byId('delete-password');
    const confirmBox = byId('delete-confirm');
    if (passwordInput.value === '') {
      say('Enter your current password to delete your account.', 'error');
      passwordInput.focus();
      return;
    }
    if (!confirmBox.checked) {
      say('Tick the box to confirm that you want your account deleted for good.', 'error');
      confirmBox.focus();
      return;
    }
    void busy(byId('delete-submit'), async () => {
      say('Deleting your account…', 'info');
      try {
        await deleteAccount(passwordInput.value);
        passwordInput.value = '';
        confirmBox.checked = false;
        say('Your account has been deleted and every device signed out. Goodbye.', 'ok');
        navigate('signin', { keepStatus: true });
      } catch (error) {
        passwordInput.value = '';
        report(error);
        passwordInput.focus();
      }
    });
  });
}

/** Wires the forms; `reload()` reloads the account page. */
export function initManage(reload) {
  wireResend(reload);
  wireEmailChange();
  wireDelete();
}

/** Empties the password fields (leaving the page). */
export function clearManage() {
  byId('email-password').value = '';
  byId('delete-password').value = '';
  byId('delete-confirm').checked = false;
}
