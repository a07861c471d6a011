// The page's one live region: short messages in plain words, read out by screen readers.
import { describeError, SignedOutError } from './api.js';
import { byId } from './dom.js';

/** Shows `message` ('ok', 'error' or 'info'); an empty message clears the region. */
export function say(message, kind) {
  const region = byId('status');
  region.textContent = message || '';
  region.className = message && kind ? 'status ' + kind : 'status';
}

/** Disables a button (and marks its form busy) while `work` runs. */
export async function busy(button, work) {
  const form = button.form || null;
  button.disabled = true;
  if (form !== null) form.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    if (form !== null) form.setAttribute('aria-busy', 'false');
  }
}

/**
 * Says what went wrong, in plain words. A lost sign-in (SignedOutError) is not repeated here:
 * the app's listener has already said "You have been signed out" and gone to sign-in.
 */
export function report(error) {
  if (error instanceof SignedOutError) return;
  say(describeError(error), 'error');
}
