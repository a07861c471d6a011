/**
 * Project Wycheproof's JWS vectors (testvectors/json_web_signature_test.json) at the unit
 * level, through the verifier's own building blocks in the order `verifyAccessToken` runs
 * them: `parseCompactJws` (size, three parts, strict base64url, header JSON and header rules),
 * the key looked up by `kid`, the header `alg` bound to the key's own algorithm, and
 * `verifyJws`. Keys enter the way they enter Tessera: a public JWK through the remote
 * verifier's `importJwk` (use/key_ops/alg rules), an HS256 secret through a `KeyRing` record
 * (HS256 secrets are never published, so they never come from a JWK Set).
 *
 * One difference from a JWT: Wycheproof payloads are arbitrary bytes ("foo"), while
 * `parseCompactJws` also requires the payload to be a JSON object (the JWT layer). So the
 * payload segment is checked to be strict base64url here, and a JSON placeholder stands in
 * for it in the structural parse; the signature is verified over the ORIGINAL segments.
 * The JWT-profile checks (`typ: at+jwt`, claims) do not apply to these vectors.
 *
 * Fixture: `fixtures/wycheproof-jws.json` (the full upstream file) when present; otherwise
 * the hand-transcribed subset `fixtures/wycheproof-jws-subset.json` (see its header). The
 * suite prints which one it ran and how many vectors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { decodeBase64url, encodeBase64url } from '../../packages/tessera/src/crypto/base64url.js';
import { isJwsAlgorithm, verifyJws } from '../../packages/tessera/src/jwt/algorithms.js';
import { parseCompactJws } from '../../packages/tessera/src/jwt/jws-compact.js';
import { KeyRing } from '../../packages/tessera/src/jwt/key-ring.js';
import type { VerificationKey } from '../../packages/tessera/src/jwt/key-ring.js';
import { importJwk } from '../../packages/tessera/src/verifier/jwks-client.js';

interface WycheproofTest {
  tcId: number;
  comment: string;
  jws: string;
  result: 'valid' | 'invalid' | 'acceptable';
  flags: string[];
}
interface WycheproofGroup {
  type: string;
  comment: string;
  public?: Record<string, unknown>;
  private?: Record<string, unknown>;
  tests: WycheproofTest[];
}
interface WycheproofFile {
  numberOfTests: number;
  testGroups: WycheproofGroup[];
}

const FULL = new URL('./fixtures/wycheproof-jws.json', import.meta.url);
const SUBSET = new URL('./fixtures/wycheproof-jws-subset.json', import.meta.url);

/**
 * Vectors where Tessera's answer differs from the file's `result`, each for a stated reason.
 * Anything else that differs fails the suite.
 */
const DISAGREEMENTS: Readonly<Record<number, { tessera: 'accepts' | 'refuses'; why: string }>> = {
  367: { tessera: 'accepts', why: 'the vector is byte-identical to tcId 357 ("ValidMac"): the padding its comment describes is not in the file, so refusing it would mean refusing 357' },
  370: { tessera: 'accepts', why: 'byte-identical to tcId 357, like 367' },
  372: { tessera: 'refuses', why: 'marked valid although a "?" sits inside the base64url header: lenient decoders skip it; Tessera decodes strict base64url only (docs/security.md), so it refuses' },
  373: { tessera: 'refuses', why: 'marked valid although a "?" sits inside the base64url payload; refused for the same reason as 372' },
};

/** Private JWK members: dropped when a group has only a private key (verification needs the public part). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'];

/** The verification key a group's JWK gives Tessera, or null when Tessera would not use it to verify. */
function keyOf(group: WycheproofGroup): VerificationKey | null {
  const jwk = group.public ?? group.private;
  if (jwk === undefined) return null;
  if (jwk.kty === 'oct') {
    // HS256 secrets reach Tessera as its own key records; the JWK usage rules still apply.
    if (jwk.alg !== 'HS256' || typeof jwk.kid !== 'string' || typeof jwk.k !== 'string') return null;
    if (jwk.use !== undefined && jwk.use !== 'sig') return null;
    if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return null;
    try {
      const ring = new KeyRing([{ kid: jwk.kid, alg: 'HS256', publicJwk: null, privateJwk: JSON.stringify({ kty: 'oct', k: jwk.k }), createdAt: 0, activatesAt: 0, retiresAt: null, expiresAt: null }]);
      return ring.verificationKey(jwk.kid, 1) ?? null;
    } catch {
      return null;
    }
  }
  const pub = Object.fromEntries(Object.entries(jwk).filter(([k]) => !PRIVATE_MEMBERS.includes(k)));
  return importJwk(pub);
}

/** What Tessera's verifier decides for a compact JWS under a one-key ring. */
function tesseraAccepts(jws: string, key: VerificationKey | null): boolean {
  const parts = jws.split('.');
  if (parts.length !== 3) {
    // Still run the real parser so that it sees (and must refuse) every malformed shape.
    assert.throws(() => parseCompactJws(jws));
    return false;
  }
  const [h, p, s] = parts as [string, string, string];
  if (decodeBase64url(p) === null) return false;
  let parsed;
  try {
    parsed = parseCompactJws(`${h}.${encodeBase64url('{}')}.${s}`);
  } catch {
    return false;
  }
  if (key === null || parsed.header.kid !== key.kid) return false;
  if (!isJwsAlgorithm(parsed.header.alg) || parsed.header.alg !== key.alg) return false;
  return verifyJws(key.alg, key.key, Buffer.from(`${h}.${p}`, 'latin1'), parsed.signature);
}

test('Project Wycheproof JWS vectors: every valid vector Tessera supports is accepted, every invalid one refused', (t) => {
  const source = existsSync(FULL) ? FULL : SUBSET;
  const file = JSON.parse(readFileSync(source, 'utf8')) as WycheproofFile;
  const ran = { accepted: 0, refused: 0, unsupported: 0, disagreements: 0 };
  const wrong: string[] = [];
  for (const group of file.testGroups) {
    const key = keyOf(group);
    const jwk = group.public ?? group.private ?? {};
    // Valid vectors of algorithms or key types Tessera does not implement (PS256, ES512, …)
    // must still be refused: Tessera never verifies with them.
    const supported = key !== null;
    for (const tc of group.tests) {
      const label = `tcId ${tc.tcId} (${group.comment}: ${tc.comment})`;
      const accepted = tesseraAccepts(tc.jws, key);
      const disagreement = DISAGREEMENTS[tc.tcId];
      let expected: boolean;
      if (disagreement !== undefined) {
        expected = disagreement.tessera === 'accepts';
        ran.disagreements++;
      } else if (tc.result === 'valid' && !supported) {
        expected = false;
        ran.unsupported++;
      } else {
        expected = tc.result === 'valid' || (tc.result === 'acceptable' && accepted);
      }
      if (accepted !== expected) wrong.push(`${label}: Wycheproof says ${tc.result}, Tessera ${accepted ? 'accepted' : 'refused'} (key alg ${String(jwk.alg)})`);
      if (accepted) ran.accepted++;
      else ran.refused++;
    }
  }
  const total = ran.accepted + ran.refused;
  const which = source === FULL ? 'full upstream file' : 'transcribed subset (fixtures/wycheproof-jws-subset.json; the full file was not available offline)';
  t.diagnostic(`Wycheproof JWS: ${total} of ${file.numberOfTests} vectors from the ${which}: ${ran.accepted} accepted, ${ran.refused} refused (${ran.unsupported} valid vectors of unsupported algorithms refused, ${ran.disagreements} documented disagreements)`);
  console.log(`Wycheproof JWS: ${total} vectors (${source === FULL ? 'full file' : 'subset'}), ${ran.accepted} accepted, ${ran.refused} refused`);
  assert.equal(total, file.numberOfTests, 'every vector of the file ran');
  assert.deepEqual(wrong, []);
  assert.ok(ran.accepted >= 3, 'the valid vectors of HS256, ES256 and RS256 are accepted');
});
