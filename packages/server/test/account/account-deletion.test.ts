import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { body, cookiesOf, GOOD_PASSWORD, signIn, signUpAndIn } from '../helpers/test-server.js';
import { freshEmail, startMailTestServer } from '../helpers/mail.js';
import type { MailTestServer } from '../helpers/mail.js';

const ADMIN_KEY = 'k'.repeat(40);

describe('account deletion by the user', () => {
  let m: MailTestServer;
  before(async () => { m = await startMailTestServer('outbox', { env: { TESSERA_ADMIN_KEYS: ADMIN_KEY } }); });
  after(async () => { await m.close(); });

  const remove = (headers: Record<string, string>, currentPassword = GOOD_PASSWORD) =>
    m.s.app.inject({ method: 'POST', url: '/auth/delete-account', headers, payload: { currentPassword } });

  it('needs a session and the current password; a wrong one changes nothing', async () => {
    const me = await signUpAndIn(m.s, 'session', freshEmail());
    assert.equal((await m.s.app.inject({ method: 'POST', url: '/auth/delete-account', payload: { currentPassword: GOOD_PASSWORD } })).statusCode, 401);
    const wrong = await remove(me.headers, 'this is not the password');
    assert.equal(wrong.statusCode, 401);
    assert.equal(body(wrong).error.code, 'invalid_credentials');
    assert.equal((await m.s.app.inject({ url: '/auth/me', headers: me.headers })).statusCode, 200);
  });

  it('deletes the account, ends every session in both modes at once, clears the cookies, frees the email', async () => {
    const email = freshEmail();
    const cookie = await signUpAndIn(m.s, 'session', email);
    const jwt = await signIn(m.s, 'jwt', email);
    const res = await remove(cookie.headers);
    assert.equal(res.statusCode, 204, res.body);
    const cleared = cookiesOf(res);
    assert.equal(cleared['__Host-tessera_session'], '');
    for (const headers of [cookie.headers, jwt.headers]) assert.equal((await m.s.app.inject({ url: '/auth/me', headers })).statusCode, 401);
    const refresh = await m.s.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: jwt.body.refreshToken } });
    assert.equal(refresh.statusCode, 401);
    assert.equal((await m.s.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: GOOD_PASSWORD } })).statusCode, 401);
    const again = await m.s.app.inject({ method: 'POST', url: '/auth/register', payload: { email, password: GOOD_PASSWORD } });
    assert.equal(again.statusCode, 201, 'the address is free');
    assert.notEqual(body(again).user.id, cookie.userId);

    // The audit log keeps the deletion under the old id (read through the admin API).
    const audit = await m.s.app.inject({ url: `/admin/users/${cookie.userId}/audit`, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    const [latest] = body(audit).entries;
    assert.equal(latest.type, 'account_deleted');
    assert.equal(latest.detail, 'sessions_ended=2');

    // The address is told, in words a stranger's deletion would alarm.
    const notice = await m.last(email, /^Your account was deleted$/);
    assert.match(notice.text, /was deleted on \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    assert.match(notice.text, /If this was not you/);
    assert.equal(notice.link, null, 'a notice carries no link');
  });

  it("an administrator's delete sends no notice", async () => {
    const me = await signUpAndIn(m.s, 'session', freshEmail());
    const res = await m.s.app.inject({ method: 'DELETE', url: `/admin/users/${me.userId}`, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    assert.equal(res.statusCode, 204);
    await assert.rejects(m.last(me.email, /deleted/), /no mail/);
  });

  it('a pending reset link dies with the account', async () => {
    const me = await signUpAndIn(m.s, 'jwt', freshEmail());
    await m.s.app.inject({ method: 'POST', url: '/auth/password-reset', payload: { email: me.email } });
    const { token } = await m.last(me.email, /^Reset/);
    assert.equal((await remove(me.headers)).statusCode, 204);
    const res = await m.s.app.inject({ method: 'POST', url: '/auth/password-reset/confirm', payload: { token, newPassword: 'a long enough new passphrase' } });
    assert.equal(res.statusCode, 400);
  });
});
