import assert from 'node:assert/strict';

/**
 * The user journey every adapter must serve, over anything that turns a path and a
 * `RequestInit` into a `Response`: a web handler called in-process, or `fetch` against a
 * real socket (Express, the examples). Sign up, a protected route refusing then admitting,
 * sign-in in both modes, refresh, the audit log (a query string), sign-out.
 */
export type Send = (path: string, init?: RequestInit) => Promise<Response>;

export const PASSWORD = 'correct horse battery staple';

/** A JSON POST. */
export function postJson(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** The `name=value` pair of the first `Set-Cookie` whose name ends with `suffix`. */
export function cookiePair(response: Response, suffix: string): string {
  const pair = response.headers.getSetCookie().map((c) => c.split(';')[0]!).find((p) => p.split('=')[0]!.endsWith(suffix));
  assert.ok(pair, `a ${suffix} cookie is set`);
  return pair;
}

/** Asserts the spec's error shape and returns the code. */
export async function errorCode(response: Response, status: number): Promise<string> {
  assert.equal(response.status, status);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
  assert.equal(typeof body.error?.code, 'string');
  assert.equal(typeof body.error?.message, 'string');
  return body.error!.code as string;
}

/** Runs the journey; `protectedPath` answers `{ userId }` behind the adapter's requireAuth. */
export async function exerciseAuthFlow(send: Send, protectedPath = '/hello'): Promise<void> {
  const email = `flow-${Math.random().toString(36).slice(2)}@example.com`;
  const credentials = { email, password: PASSWORD };

  const registered = await send('/auth/register', postJson(credentials));
  assert.equal(registered.status, 201);
  const { user } = (await registered.json()) as { user: { id: string; email: string } };
  assert.equal(user.email, email);

  const anonymous = await send(protectedPath);
  assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="tessera"');
  assert.equal(await errorCode(anonymous, 401), 'unauthorized');

  // Session mode: the credential is a cookie.
  const sessionLogin = await send('/auth/login', postJson(credentials));
  assert.equal(sessionLogin.status, 200);
  assert.equal(((await sessionLogin.json()) as { mode: string }).mode, 'session');
  assert.equal(sessionLogin.headers.get('cache-control'), 'no-store');
  const cookie = cookiePair(sessionLogin, 'tessera_session');
  const bySession = await send(protectedPath, { headers: { cookie } });
  assert.equal(bySession.status, 200);
  assert.deepEqual(await bySession.json(), { userId: user.id });

  // JWT mode: a bearer access token and a refresh token (also as a cookie).
  const jwtLogin = await send('/auth/login', postJson({ ...credentials, mode: 'jwt' }));
  assert.equal(jwtLogin.status, 200);
  const tokens = (await jwtLogin.json()) as { mode: string; accessToken: string; refreshToken: string; tokenType: string };
  assert.equal(tokens.mode, 'jwt');
  assert.equal(tokens.tokenType, 'Bearer');
  cookiePair(jwtLogin, 'tessera_refresh');
  const byToken = await send(protectedPath, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
  assert.equal(byToken.status, 200);
  assert.deepEqual(await byToken.json(), { userId: user.id });

  const refreshed = await send('/auth/refresh', postJson({ refreshToken: tokens.refreshToken }));
  assert.equal(refreshed.status, 200);
  const pair = (await refreshed.json()) as { accessToken: string; refreshToken: string };
  assert.notEqual(pair.refreshToken, tokens.refreshToken);
  const bearer = { authorization: `Bearer ${pair.accessToken}` };
  assert.equal((await send(protectedPath, { headers: bearer })).status, 200);

  // GET /auth/me in both modes, twice with each access token (JWT mode answers the second from
  // the serialized copy it kept): the user, and the credential's own mode, id and expiry.
  const me = async (headers: Record<string, string>) => {
    const r = await send('/auth/me', { headers });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(r.headers.get('cache-control'), 'no-store');
    return (await r.json()) as { user: unknown; auth: { mode: string; id: string; expiresAt: string } };
  };
  const meBySession = await me({ cookie });
  assert.deepEqual(meBySession.user, user);
  assert.equal(meBySession.auth.mode, 'session');
  const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sid: string; exp: number };
  for (const token of [tokens.accessToken, pair.accessToken, tokens.accessToken, pair.accessToken]) {
    const claims = claimsOf(token);
    assert.deepEqual(await me({ authorization: `Bearer ${token}` }), {
      user, auth: { mode: 'jwt', id: claims.sid, expiresAt: new Date(claims.exp * 1000).toISOString() },
    });
  }
  assert.notEqual(claimsOf(pair.accessToken).sid, meBySession.auth.id);

  // The user's own audit log, paged by query parameters (parsed alike by every adapter).
  const audit = await send('/auth/audit?limit=2', { headers: bearer });
  assert.equal(audit.status, 200);
  const page = (await audit.json()) as { entries: Array<{ seq: number; type: string }>; next: number | null };
  assert.deepEqual(page.entries.map((e) => e.type), ['sign_in', 'sign_in']);
  assert.equal(page.next, page.entries[1]!.seq);
  const older = (await (await send(`/auth/audit?before=${page.next}&limit=2`, { headers: { cookie } })).json()) as typeof page;
  assert.deepEqual(older.entries.map((e) => e.type), ['sign_up']);
  assert.equal(older.next, null);
  for (const query of ['limit=0', 'limit=1&limit=2', 'page=2', 'before=x']) {
    assert.equal(await errorCode(await send(`/auth/audit?${query}`, { headers: bearer }), 400), 'invalid_request', query);
  }

  // One session record ended by id, the way a browser's fetch sends it: DELETE with no body
  // and no Content-Length (a server such as @hono/node-server still hands the handler an
  // empty body stream: no body, not a body of the wrong media type).
  const third = cookiePair(await send('/auth/login', postJson(credentials)), 'tessera_session');
  const thirdId = (await me({ cookie: third })).auth.id;
  const ended = await send(`/auth/sessions/${encodeURIComponent(thirdId)}`, { method: 'DELETE', headers: bearer });
  assert.equal(ended.status, 204);
  assert.equal(await errorCode(await send(protectedPath, { headers: { cookie: third } }), 401), 'unauthorized');

  // Sign-out ends the session record: both cookies are cleared, each in its own header.
  const sessionLogout = await send('/auth/logout', { method: 'POST', headers: { cookie } });
  assert.equal(sessionLogout.status, 204);
  const cleared = sessionLogout.headers.getSetCookie();
  assert.equal(cleared.length, 2);
  assert.ok(cleared.every((c) => /Max-Age=0/.test(c)));
  const afterSessionLogout = await send(protectedPath, { headers: { cookie } });
  assert.equal(afterSessionLogout.headers.get('www-authenticate'), 'Bearer realm="tessera", error="invalid_token"');
  assert.equal(await errorCode(afterSessionLogout, 401), 'unauthorized');

  const tokenLogout = await send('/auth/logout', { method: 'POST', headers: bearer });
  assert.equal(tokenLogout.status, 204);
  assert.equal(await errorCode(await send(protectedPath, { headers: bearer }), 401), 'unauthorized');
}
