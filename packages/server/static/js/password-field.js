// New-password fields (sign-up, password reset): the running length count shown before
// submitting, and the "show password" checkbox.
import { byId, setText } from './dom.js';

/**
 * Fills the element `containerId` with a copy of the password rules of the sign-up form
 * (#password-rules), so that they are written once in index.html.
 */
export function copyPasswordRules(containerId) {
  const target = byId(containerId);
  if (target.childElementCount === 0) target.append(...[...byId('password-rules').children].map((node) => node.cloneNode(true)));
}

/** Shows the server's length limits in every copy of the password rules. */
export function showPasswordLimits(minLength, maxLength) {
  for (const node of document.querySelectorAll('.rule-min-length')) node.textContent = String(minLength);
  for (const node of document.querySelectorAll('.rule-max-length')) node.textContent = String(maxLength);
}

/** Length in code points, as the server counts it (after NFKC normalisation). */
export function passwordLength(password) {
  return [...password.normalize('NFKC')].length;
}

/** "9 characters so far: 6 more needed.", "16 characters: long enough.", or '' when empty. */
export function describeLength(n, minLength, maxLength) {
  if (n > 0 && n < minLength) return n + (n === 1 ? ' character' : ' characters') + ' so far: ' + (minLength - n) + ' more needed.';
  if (n > maxLength) return n + ' characters: ' + (n - maxLength) + ' too many.';
  if (n > 0) return n + ' characters: long enough.';
  return '';
}

/**
 * Keeps the count under `inputId` (in `countId`) up to date while typing; `limits()` gives
 * { min, max }. Returns a function that recounts (after the field was cleared).
 */
export function wireLengthCount(inputId, countId, limits) {
  const input = byId(inputId);
  const update = () => {
    const { min, max } = limits();
    setText(countId, describeLength(passwordLength(input.value), min, max));
  };
  input.addEventListener('input', update);
  return update;
}

/** The checkbox `checkboxId` shows the fields `inputIds` as text; returns a function that hides them again. */
export function wireShowPassword(checkboxId, ...inputIds) {
  const box = byId(checkboxId);
  const inputs = inputIds.map(byId);
  box.addEventListener('change', () => {
    for (const input of inputs) input.type = box.checked ? 'text' : 'password';
  });
  return function hide() {
    box.checked = false;
    for (const input of inputs) input.type = 'password';
  };
}
