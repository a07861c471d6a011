import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createVerifier } from 'fast-jwt';
import { jwtVerify } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { accessToken } from './lib/built.js';
import { CALLGRIND_HOST, callgrindNode, countRounds } from './lib/callgrind.js';
import { symbolizeCallgrind } from './lib/callgrind-symbols.js';
import { ALGS, createFloorVerifier } from './micro/floor.js';
import type { Alg } from './micro/floor.js';
import { ISSUER, accessClaims, keyFixture, nowSeconds } from './micro/fixtures.js';

const { signAccessToken, verifyAccessToken } = accessToken;

/**
 * `npm run bench:verify-instructions`: CPU instructions per in-process token verification,
 * counted by valgrind's callgrind, for the raw node:crypto floor, Tessera, fast-jwt, jose and
 * jsonwebtoken, every algorithm. The same verifiers and options as bench/micro/jwt.ts, which
 * times them; a count is the same from run to run, so where the timed medians of two
 * libraries differ by less than the machine's noise (Tessera and fast-jwt on ES256 have
 * swapped places between runs, 1 µs apart) the count says which one does less work.
 *
 *   npm run bench:verify-instructions -- [--algs EdDSA,ES256] [--verifiers tessera,fastJwt] [--calls 2000] [--rounds 3] [--warmup 10000] [--profile DIR]
 *
 * `--profile DIR` keeps each verifier's lowest round with V8's JIT code named, as
 * DIR/<alg>-<verifier>.callgrind (see instructions.ts).
 *
 * One process per algorithm runs under callgrind (`node --single-threaded`, instrumentation
 * off until asked) and takes commands on stdin: `run <verifier> <n>` verifies n times and
 * answers `ok`. The parent warms each verifier up, zeroes the counters, switches counting on
 * for `calls` verifications, dumps, and keeps the lowest of the rounds.
 */

type VerifierId = 'floor' | 'tessera' | 'fastJwt' | 'jose' | 'jsonwebtoken';
const VERIFIERS: readonly VerifierId[] = ['floor', 'tessera', 'fastJwt', 'jose', 'jsonwebtoken'];

/** The child: builds the verifiers of one algorithm, then runs what stdin asks. */
async function child(alg: Alg): Promise<void> {
  const k = await keyFixture(alg);
  const token = signAccessToken(accessClaims(), k.signing);
  const options = { issuer: ISSUER, audience: ISSUER, algorithms: [alg] };
  const floor = createFloorVerifier(alg, k.verification.key);
  const fast = createVerifier({ key: k.publicMaterial, algorithms: [alg], allowedIss: ISSUER, allowedAud: ISSUER, cache: false });
  const keys = k.ring.lookup;
  const joseOptions = { ...options, typ: 'at+jwt' };
  const verifiers: Record<VerifierId, (() => unknown) | null> = {
    floor: () => {
      if (floor(token, nowSeconds()) === null) throw new Error('the floor refused the token');
    },
    tessera: () => verifyAccessToken(token, { keys, issuer: ISSUER, audience: ISSUER, nowSeconds: nowSeconds(), clockToleranceSeconds: 5, maxTtlSeconds: 900 }),
    fastJwt: () => fast(token),
    jose: () => jwtVerify(token, k.verification.key, joseOptions),
    // jsonwebtoken has no EdDSA.
    jsonwebtoken: alg === 'EdDSA' ? null : () => jsonwebtoken.verify(token, k.verification.key, options as jsonwebtoken.VerifyOptions),
  };
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) {
    const [command, id, count] = line.split(' ');
    if (command !== 'run') continue;
    const verify = verifiers[id as VerifierId];
    if (verify === null || verify === undefined) {
      process.stdout.write('n/a\n');
      continue;
    }
    // jose's verify is async: awaited one at a time, as bench/micro/jwt.ts does.
    for (let i = 0; i < Number(count); i++) await verify();
    process.stdout.write('ok\n');
  }
}

interface Counts { alg: Alg; verifier: VerifierId; lowest: number | null; rounds: number[] }

async function parent(): Promise<void> {
  const { values } = parseArgs({
    options: {
      algs: { type: 'string' },
      verifiers: { type: 'string' },
      calls: { type: 'string', default: '2000' },
      rounds: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '10000' },
      child: { type: 'string' },
      profile: { type: 'string' },
    },
  });
  const algs = (values.algs?.split(',') ?? ALGS) as Alg[];
  const chosen = (values.verifiers?.split(',') ?? VERIFIERS) as VerifierId[];
  const calls = Number(values.calls);
  const rounds = Number(values.rounds);
  const warmup = Number(values.warmup);
  if (algs.some((a) => !ALGS.includes(a)) || chosen.some((v) => !VERIFIERS.includes(v)) || !(calls >= 10 && rounds >= 1 && warmup >= 0)) {
    console.error(`usage: npm run bench:verify-instructions -- [--algs ${ALGS.join(',')}] [--verifiers ${VERIFIERS.join(',')}] [--calls N ≥ 10] [--rounds N ≥ 1] [--warmup N]`);
    process.exit(2);
  }
  const profileDir = values.profile === undefined ? undefined : resolve(values.profile);
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'tessera-verify-instructions-'));
  const results: Counts[] = [];
  try {
    for (const alg of algs) {
      const [valgrind, ...args] = callgrindNode(work, profileDir !== undefined);
      const proc = spawn(valgrind!, [...args, '--import', 'tsx', fileURLToPath(import.meta.url), '--child', alg], {
        stdio: ['pipe', 'pipe', 'inherit'],
        env: { ...process.env, HOST: CALLGRIND_HOST },
      });
      const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
      const answer = async (): Promise<string> => {
        const next = await lines.next();
        if (next.done === true) throw new Error(`${alg}: the counted process ended`);
        return next.value;
      };
      try {
        if ((await answer()) !== 'ready') throw new Error(`${alg}: the counted process did not start`);
        for (const verifier of chosen) {
          proc.stdin!.write(`run ${verifier} ${warmup}\n`);
          if ((await answer()) === 'n/a') {
            results.push({ alg, verifier, lowest: null, rounds: [] });
            continue;
          }
          const { counts: perCall, lowestDump } = await countRounds(proc.pid!, work, rounds, calls, () => {
            proc.stdin!.write(`run ${verifier} ${calls}\n`);
            return answer();
          });
          if (profileDir !== undefined) symbolizeCallgrind(lowestDump, `/tmp/perf-${proc.pid}.map`, join(profileDir, `${alg}-${verifier}.callgrind`));
          results.push({ alg, verifier, lowest: Math.min(...perCall), rounds: perCall });
          console.error(`${alg} ${verifier}: ${perCall.map((n) => Math.round(n)).join(' ')}`);
        }
      } finally {
        proc.kill('SIGKILL');
        rmSync(`/tmp/perf-${proc.pid}.map`, { force: true });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`\nInstructions per in-process verification (callgrind; lowest of ${rounds} rounds of ${calls} calls after ${warmup} to warm up)\n`);
  console.log(`| alg | ${VERIFIERS.join(' | ')} | Tessera ÷ floor | Tessera ÷ best other |\n|---|${VERIFIERS.map(() => '---:').join('|')}|---:|---:|`);
  for (const alg of algs) {
    const of = (v: VerifierId): number | null => results.find((r) => r.alg === alg && r.verifier === v)?.lowest ?? null;
    const others = (['fastJwt', 'jose', 'jsonwebtoken'] as const).map(of).filter((n): n is number => n !== null);
    const tessera = of('tessera');
    const floor = of('floor');
    const cells = VERIFIERS.map((v) => of(v)?.toLocaleString('en', { maximumFractionDigits: 0 }) ?? 'n/a');
    const toFloor = tessera === null || floor === null ? '' : (tessera / floor).toFixed(3);
    const toBest = tessera === null || others.length === 0 ? '' : (tessera / Math.min(...others)).toFixed(3);
    console.log(`| ${alg} | ${cells.join(' | ')} | ${toFloor} | ${toBest} |`);
  }
}

const childIndex = process.argv.indexOf('--child');
if (childIndex >= 0) await child(process.argv[childIndex + 1] as Alg);
else await parent();
