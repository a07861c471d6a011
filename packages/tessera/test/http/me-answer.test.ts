import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthResult, PublicUser } from '../../src/auth/public-types.js';
import { meAnswer } from '../../src/http/me-answer.js';

type Authenticated = Extract<AuthResult, { status: 'authenticated' }>;

const who = (sessionId: string, expiresAt: string, mode: 'jwt' | 'session' = 'jwt'): Authenticated =>
  ({ status: 'authenticated', mode, userId: 'u1', sessionId, expiresAt, setCookies: [] });

describe('GET /auth/me answer', () => {
  it('sends the serialized copy only while it is the same user copy, mode, session and expiry', () => {
    const user: PublicUser = Object.freeze({ id: 'u1', email: 'ada@example.com', createdAt: '2026-01-01T00:00:00.000Z', emailVerifiedAt: null });
    const newer: PublicUser = Object.freeze({ ...user, email: 'ada@example.org' });
    const calls: Array<[PublicUser, Authenticated]> = [
      [user, who('s1', '2026-01-01T00:15:00.000Z')], [user, who('s1', '2026-01-01T00:15:00.000Z')],
      [user, who('s2', '2026-01-01T00:15:00.000Z')], [user, who('s1', '2026-01-01T00:15:00.000Z')],
      [user, who('s1', '2026-01-01T00:16:00.000Z')], [user, who('s1', '2026-01-01T00:16:00.000Z', 'session')],
      [newer, who('s1', '2026-01-01T00:16:00.000Z', 'session')], [user, who('s1', '2026-01-01T00:16:00.000Z', 'session')],
    ];
    for (const [u, w] of calls) {
      const r = meAnswer(u, w);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { user: u, auth: { mode: w.mode, id: w.sessionId, expiresAt: w.expiresAt } });
      assert.equal(r.bodyText, JSON.stringify(r.body));
    }
  });

  it('answers from what the user object holds now, not from the copy it was serialized from', () => {
    const user: PublicUser = { id: 'u1', email: 'ada@example.com', createdAt: '2026-01-01T00:00:00.000Z', emailVerifiedAt: null };
    const answers = [meAnswer(user, who('s9', '2026-01-01T00:15:00.000Z'))];
    user.email = 'ada@example.org';
    answers.push(meAnswer(user, who('s9', '2026-01-01T00:15:00.000Z')));
    user.emailVerifiedAt = '2026-01-01T00:01:00.000Z';
    answers.push(meAnswer(user, who('s9', '2026-01-01T00:15:00.000Z')));
    answers.push(meAnswer({ ...user }, who('s9', '2026-01-01T00:15:00.000Z')));
    assert.deepEqual(answers.map((a) => JSON.parse(a.bodyText!).user), [
      { ...user, email: 'ada@example.com', emailVerifiedAt: null }, { ...user, emailVerifiedAt: null }, user, user,
    ]);
  });
});
