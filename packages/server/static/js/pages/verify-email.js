// Page: verify an email address with the link (or code) of the verification mail.
import { verifyEmail } from '../account-api.js';
import { describeError } from '../api.js';
import { createLinkPage, isBadLink } from './mail-link.js';

const linkPage = createLinkPage('verify', {
  title: 'Verify your email address',
  checking: 'Verifying your email address…',
  spend: verifyEmail,
  done(user) {
    const email = user && typeof user.email === 'string' ? user.email : 'Your email address';
    return email + ' is verified. Thank you: there is nothing more to do.';
  },
  failed(error) {
    if (isBadLink(error)) {
      return 'This link does not work: it has already been used, has expired, or was not copied completely. If your address is not verified yet, sign in and ask for a new verification mail on your account page.';
    }
    return describeError(error);
  },
});

export const init = linkPage.init;
export const page = linkPage.page;
