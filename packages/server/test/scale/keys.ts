/**
 * Key helpers of the scale-out tests: a key rotation done the way another instance of the
 * deployment would do it (the library, on the same schema, key prefix and bus channel), and
 * an access token minted from a private key read from the database, in the server's claim
 * shape, to check that every instance verifies the new key at once.
 */
import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { once } from 'node:events';
import pg from 'pg';
import { createTessera } from 'tessera';
import { createPostgresStore } from 'tessera/postgres';
import { createRedisClient, createRedisClusterBus, createRedisStore } from 'tessera/redis';
import type { Deployment } from './harness.js';
import { ISSUER } from './harness.js';

/**
 * Rotates the signing key as a fourth instance of `deployment` would (the server has no
 * rotation route yet): same PostgreSQL schema, same Redis key prefix, same bus channel, so the
 * running instances hear `keys_changed` at once. Returns the new key's kid.
 */
export async function rotateLikeAnInstance(deployment: Deployment): Promise<{ kid: string; activatesAt: string }> {
  const pool = new pg.Pool({ connectionString: deployment.env.TESSERA_DATABASE_URL, max: 2, connectionTimeoutMillis: 5000 });
  pool.on('error', () => {});
  const database = createPostgresStore(pool, { schema: deployment.schema });
  const client = createRedisClient(deployment.env.TESSERA_REDIS_URL!, { commandTimeout: 2000 });
  client.on('error', () => {});
  try {
    if (client.status !== 'ready') await once(client, 'ready');
    const store = createRedisStore({ client, database, keyPrefix: deployment.prefix });
    await store.migrate();
    const auth = await createTessera({
      store,
      clusterBus: createRedisClusterBus(client, { channel: `${deployment.prefix}cluster` }),
      issuer: ISSUER,
    });
    try {
      return await auth.rotateKeys();
    } finally {
      await auth.close();
    }
  } finally {
    client.disconnect();
    await database.close();
  }
}

/** The JWT header and claims the server puts in an access token. */
export interface MintInput {
  kid: string;
  sub: string;
  sid: string;
}

/**
 * Signs an access token with the private key `kid` as stored in the deployment's
 * `signing_keys` table (EdDSA keys only: the default algorithm).
 */
export async function mintAccessToken(deployment: Deployment, input: MintInput): Promise<string> {
  const { rows } = await deployment.pool.query<{ alg: string; private_jwk: string }>(
    `SELECT alg, private_jwk FROM "${deployment.schema}".signing_keys WHERE kid = $1`,
    [input.kid],
  );
  const row = rows[0];
  if (!row) throw new Error(`no key ${input.kid}`);
  if (row.alg !== 'EdDSA') throw new Error(`mintAccessToken supports EdDSA only, not ${row.alg}`);
  const key = createPrivateKey({ key: JSON.parse(row.private_jwk) as JsonWebKey, format: 'jwk' });
  const iat = Math.floor(Date.now() / 1000);
  const header = { alg: 'EdDSA', typ: 'at+jwt', kid: input.kid };
  const claims = {
    iss: ISSUER,
    aud: ISSUER,
    sub: input.sub,
    sid: input.sid,
    client_id: 'tessera',
    iat,
    exp: iat + 900,
    jti: randomBytes(16).toString('base64url'),
  };
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const signingInput = `${b64(header)}.${b64(claims)}`;
  return `${signingInput}.${sign(null, Buffer.from(signingInput), key).toString('base64url')}`;
}
