import type { AuthResult, PublicUser } from '../auth/public-types.js';
import { BoundedMap } from '../bounded-map.js';
import type { HttpResponse } from './http-types.js';
import { json } from './route-kit.js';

type Authenticated = Extract<AuthResult, { status: 'authenticated' }>;

/** Every field of {@link PublicUser}: the compiler fails below if one is added and not listed. */
const USER_FIELDS = ['id', 'email', 'createdAt', 'emailVerifiedAt'] as const satisfies ReadonlyArray<keyof PublicUser>;
const everyFieldListed: Exclude<keyof PublicUser, (typeof USER_FIELDS)[number]> extends never ? true : never = true;
void everyFieldListed;

interface Serialized {
  /** A copy of the user's fields that were serialized (the caller's object may change later). */
  user: PublicUser;
  mode: string;
  expiresAt: string;
  text: string;
}

function sameUser(a: PublicUser, b: PublicUser): boolean {
  for (const field of USER_FIELDS) if (a[field] !== b[field]) return false;
  return true;
}

// The last answer serialized for each session: the same caller asking again gets the same
// bytes while every field that goes into them is equal (compared, not assumed). Serializing
// them was 9 % of the instructions of a seen-token `GET /auth/me` (bench/instructions.ts).
// Bounded: a session that asks again after 1024 others have is serialized afresh.
const lastAnswer = new BoundedMap<string, Serialized>(1024);

/** `GET /auth/me`'s 200: the user as shown and the credential's mode, session id and expiry. */
export function meAnswer(user: PublicUser, who: Authenticated): HttpResponse {
  const response = json(200, { user, auth: { mode: who.mode, id: who.sessionId, expiresAt: who.expiresAt } });
  let last = lastAnswer.get(who.sessionId);
  if (last === undefined || last.mode !== who.mode || last.expiresAt !== who.expiresAt || (last.user !== user && !sameUser(last.user, user))) {
    // A frozen user (JWT mode's shared copy) cannot change; any other is copied.
    const kept = Object.isFrozen(user) ? user : { ...user };
    last = { user: kept, mode: who.mode, expiresAt: who.expiresAt, text: JSON.stringify(response.body) };
    lastAnswer.set(who.sessionId, last);
  }
  response.bodyText = last.text;
  return response;
}
