// Page: confirm a change of email address with the link (or code) mailed to the new address.
import { confirmEmailChange } from '../account-api.js';
import { describeError } from '../api.js';
import { createLinkPage, isBadLink } from './mail-link.js';

const linkPage = createLinkPage('confirm', {
  title: 'Confirm your new email address',
  checking: 'Confirming your new email address…',
  spend: confirmEmailChange,
  done(user) {
    const email = user && typeof user.email === 'string' ? user.email : 'the new address';
    return 'Done: the email address of your account is now ' + email + '. Sign in with it from now on; your current sign-ins stay as they are.';
  },
  failed(error) {
    if (error.code === 'email_taken') {
      return 'Another account has taken this address since you asked for the change, so it cannot become yours. This link is used up and your account keeps its current address.';
    }
    if (isBadLink(error)) {
      return 'This link does not work: it has already been used, has expired, was replaced by a newer request, or was not copied completely. To change your address, ask again on your account page.';
    }
    return describeError(error);
  },
});

export const init = linkPage.init;
export const page = linkPage.page;
