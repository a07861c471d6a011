import { SignJWT, jwtVerify } from 'jose';
import { createSigner, createVerifier } from 'fast-jwt';
import jsonwebtoken from 'jsonwebtoken';
import { accessToken, memoryStore } from '../lib/built.js';
import type { Candidate, TimingPlan } from '../lib/timing.js';
import { timeInterleaved } from '../lib/timing.js';
import { ALGS, createFloorSigner, createFloorVerifier } from './floor.js';
import type { Alg } from './floor.js';
import { ISSUER, accessClaims, assertAuthenticated, credentialHeaders, keyFixture, nowSeconds, signedInTessera } from './fixtures.js';

const { signAccessToken, verifyAccessToken } = accessToken;
const { createMemoryStore } = memoryStore;

/**
 * JWT sign and verify per algorithm, in ns per token: the raw node:crypto floor, Tessera
 * (verifier, and `authenticate()` on a token seen before), jose, fast-jwt (cache off and on)
 * and jsonwebtoken, each configured with the same issuer/audience/algorithm checks and a
 * pre-imported key (KeyObject where the library takes one; PEM/secret for fast-jwt).
 * Rounds are interleaved across libraries, so that drift hits them all alike.
 */

export type VerifierId = 'floor' | 'tessera' | 'tesseraSeen' | 'jose' | 'fastJwt' | 'fastJwtCache' | 'jsonwebtoken';
export type SignerId = 'floor' | 'tessera' | 'jose' | 'fastJwt' | 'jsonwebtoken';

/** ns per token, or null with the reason when the library cannot do it. */
export type Cell = { ns: number } | { ns: null; reason: string };

export interface JwtResults {
  verify: Record<Alg, Record<VerifierId, Cell>>;
  sign: Record<Alg, Record<SignerId, Cell>>;
}

/**
 * Calls each candidate once: one that throws (e.g. jsonwebtoken has no EdDSA) or refuses gets
 * its reason instead of a number; the others are timed together.
 */
async function measure<Id extends string>(candidates: Array<Candidate & { id: Id }>, plan: TimingPlan): Promise<Record<Id, Cell>> {
  const cells = {} as Record<Id, Cell>;
  const runnable: Candidate[] = [];
  for (const c of candidates) {
    try {
      await c.fn();
      runnable.push(c);
    } catch (error) {
      cells[c.id] = { ns: null, reason: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
    }
  }
  const times = await timeInterleaved(runnable, plan);
  for (const [id, ns] of times) cells[id as Id] = { ns };
  return cells;
}

export async function runJwtBenchmarks(plan: TimingPlan, log: (line: string) => void): Promise<JwtResults> {
  const verify = {} as JwtResults['verify'];
  const sign = {} as JwtResults['sign'];
  for (const alg of ALGS) {
    const k = await keyFixture(alg);
    const claims = accessClaims();
    const token = signAccessToken(claims, k.signing);
    const options = { issuer: ISSUER, audience: ISSUER, algorithms: [alg] };
    const floor = createFloorVerifier(alg, k.verification.key);
    const fastOptions = { key: k.publicMaterial, algorithms: [alg], allowedIss: ISSUER, allowedAud: ISSUER };
    const fast = createVerifier({ ...fastOptions, cache: false });
    const fastCached = createVerifier({ ...fastOptions, cache: true });
    const { auth, email } = await signedInTessera(createMemoryStore(), alg);
    const headers = await credentialHeaders(auth, email, 'jwt');
    await assertAuthenticated(auth, headers, `Tessera ${alg}`);
    const keys = k.ring.lookup;
    const joseOptions = { ...options, typ: 'at+jwt' };
    const v = await measure<VerifierId>(
      [
        {
          id: 'floor',
          fn: () => {
            if (floor(token, nowSeconds()) === null) throw new Error('the floor refused the token');
          },
        },
        // An object literal per call, as authenticate() builds it (a spread of a shared object
        // cost ~1.2 µs more per call here: V8's object-spread path, not the verifier).
        {
          id: 'tessera',
          fn: () => verifyAccessToken(token, { keys, issuer: ISSUER, audience: ISSUER, nowSeconds: nowSeconds(), clockToleranceSeconds: 5, maxTtlSeconds: 900 }),
        },
        { id: 'tesseraSeen', fn: () => auth.authenticate(headers), isAsync: true },
        { id: 'jose', fn: () => jwtVerify(token, k.verification.key, joseOptions), isAsync: true },
        { id: 'fastJwt', fn: () => fast(token) },
        { id: 'fastJwtCache', fn: () => fastCached(token) },
        { id: 'jsonwebtoken', fn: () => jsonwebtoken.verify(token, k.verification.key, options as jsonwebtoken.VerifyOptions) },
      ],
      plan,
    );
    await auth.close();
    verify[alg] = v;

    const floorSigner = createFloorSigner(alg, k.privateKey, k.signing.kid);
    const fastSigner = createSigner({ key: k.privateMaterial, algorithm: alg, kid: k.signing.kid, noTimestamp: true });
    const header = { alg, typ: 'at+jwt', kid: k.signing.kid };
    sign[alg] = await measure<SignerId>(
      [
        { id: 'floor', fn: () => floorSigner({ ...claims }) },
        { id: 'tessera', fn: () => signAccessToken(claims, k.signing) },
        { id: 'jose', fn: () => new SignJWT({ ...claims }).setProtectedHeader(header).sign(k.privateKey), isAsync: true },
        { id: 'fastJwt', fn: () => fastSigner({ ...claims }) },
        { id: 'jsonwebtoken', fn: () => jsonwebtoken.sign({ ...claims }, k.privateKey, { algorithm: alg as jsonwebtoken.Algorithm, header: header as jsonwebtoken.JwtHeader }) },
      ],
      plan,
    );
    log(`  ${alg}: verify floor ${fmt(v.floor)}, tessera ${fmt(v.tessera)}, seen ${fmt(v.tesseraSeen)}, jose ${fmt(v.jose)}, fast-jwt ${fmt(v.fastJwt)}/${fmt(v.fastJwtCache)} (cache), jsonwebtoken ${fmt(v.jsonwebtoken)}`);
  }
  return { verify, sign };
}

function fmt(c: Cell): string {
  return c.ns === null ? 'n/a' : `${(c.ns / 1000).toFixed(2)} µs`;
}
