/**
 * `tessera token decode|verify`. Decoding shows a JWT's header and claims without checking
 * anything, and says so. Verifying runs the server's own check: the same `authenticate()` of
 * the library over the configured store (key ring from the store's keys, issuer and audience
 * from the configuration, the revocation view caught up from the durable feed), so a token
 * this command accepts is one the server accepts, and one it refuses, the server refuses.
 * The token may be given as `-` to read it from stdin (keeping it out of shell history).
 */
import type { SigningKeyRecord } from 'tessera';
import { CONFIG_FLAGS_HELP, parseCommand } from './args.js';
import type { ParsedCommand } from './args.js';
import { withContext } from './context.js';
import { keyStatus } from './keys.js';
import type { CommandContext } from './context.js';
import { EXIT, isoTime, printJson, printLines, relativeTime, shortTime, usageError } from './output.js';
import { readStdinLine } from './stdin-line.js';
import { runSubcommand } from './subcommands.js';

const GROUP_USAGE = `Usage: tessera token <command> [options]

Commands:
  decode <token|->   show a JWT's header and claims (NOT verified)
  verify <token|->   verify an access token as the server would; exit 0 valid, 4 refused

See "tessera token <command> --help".`;

const DECODE_USAGE = `Usage: tessera token decode <token|-> [--json]

Shows the header and claims of a JWT with readable times. NOT verified: neither the
signature, nor the issuer, audience, expiry or revocation (use "tessera token verify").
Give - to read the token from stdin. Exit 2 when the argument is not a JWT.

  --json               print {"verified":false,"header":{…},"claims":{…},"times":{…}}`;

const VERIFY_USAGE = `Usage: tessera token verify <token|-> [--json]

Verifies an access token exactly as the server does, against the configured store: the key
by kid from the store's signing keys, the signature, typ at+jwt, issuer and audience from the
configuration (TESSERA_ISSUER / --issuer, TESSERA_AUDIENCE), expiry with the clock tolerance,
and the revocation feed (ended sessions, disabled or deleted users). Give - to read the token
from stdin.

Exit 0 when valid, 4 when refused (the reason is printed, with hints: an issuer that differs
from the configured one, a key this store does not hold…).

  --json               print {"valid":true,"userId","sessionId","kid","expiresAt"} or
                       {"valid":false,"reason","hints":[…]}

${CONFIG_FLAGS_HELP}`;

/** A JWT split and decoded, nothing checked. */
interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

function decodePart(part: string): Record<string, unknown> | null {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Decodes a compact JWS; null when it is not one (an opaque session token, a JWE…). */
function decodeJwt(token: string): DecodedJwt | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const header = decodePart(parts[0]!);
  const claims = decodePart(parts[1]!);
  return header && claims ? { header, claims } : null;
}

const TIME_CLAIMS = ['iat', 'nbf', 'exp'] as const;

async function tokenArgument(parsed: ParsedCommand): Promise<string> {
  const given = parsed.positionals[0]!;
  const token = (given === '-' ? await readStdinLine('Token: ') : given).trim();
  if (token === '') throw usageError('no token given');
  return token;
}

async function decode(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { name: 'token decode', usage: DECODE_USAGE, positionals: ['token|-'] });
  if (!parsed) return EXIT.ok;
  const token = await tokenArgument(parsed);
  const jwt = decodeJwt(token);
  if (jwt === null) {
    const hint = token.split('.').length === 2 ? ': it looks like an opaque session or refresh token, which carries no claims' : '';
    throw usageError(`not a JWT (three base64url parts, header and claims JSON objects)${hint}`);
  }
  const times: Record<string, string> = {};
  for (const name of TIME_CLAIMS) {
    const v = jwt.claims[name];
    if (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) < 1e11) times[name] = isoTime(v * 1000);
  }
  if (parsed.json) {
    printJson({ verified: false, header: jwt.header, claims: jwt.claims, times });
    return EXIT.ok;
  }
  const now = Date.now();
  const show = (obj: Record<string, unknown>) => {
    const width = Math.max(...Object.keys(obj).map((k) => k.length));
    return Object.entries(obj).map(([k, v]) => {
      const human = times[k] === undefined ? '' : ` (${shortTime(times[k])}, ${relativeTime(Date.parse(times[k]!), now)})`;
      return `  ${k.padEnd(width)}  ${typeof v === 'string' ? v : JSON.stringify(v)}${human}`;
    });
  };
  printLines(
    'NOT VERIFIED: decoded only; signature, issuer, audience, expiry and revocation were not checked ("tessera token verify" does).',
    'Header:', ...show(jwt.header),
    'Claims:', ...show(jwt.claims),
  );
  return EXIT.ok;
}

/** Why a token may have been refused, from what it claims (never trusted: only for the operator). */
function refusalHints(ctx: CommandContext, jwt: DecodedJwt | null, keys: readonly SigningKeyRecord[], reason: string): string[] {
  if (jwt === null) return ['not a well-formed JWT'];
  const hints: string[] = [];
  const { header, claims } = jwt;
  const now = Date.now();
  if (header.typ !== 'at+jwt' && header.typ !== 'application/at+jwt') hints.push(`typ is ${JSON.stringify(header.typ)}, not at+jwt: not an access token`);
  const key = typeof header.kid === 'string' ? keys.find((k) => k.kid === header.kid) : undefined;
  if (typeof header.kid !== 'string') hints.push('the header has no kid');
  else if (!key) hints.push(`signed with key ${header.kid}, which this store does not hold (another deployment or store, or a key purged after it expired)`);
  else if (key.expiresAt !== null && key.expiresAt <= now) hints.push(`its key ${key.kid} expired at ${isoTime(key.expiresAt)}`);
  else if (header.alg !== key.alg) hints.push(`alg ${JSON.stringify(header.alg)} is not its key's ${key.alg}`);
  if (claims.iss !== ctx.config.issuer) hints.push(`issuer ${JSON.stringify(claims.iss)} is not the configured ${JSON.stringify(ctx.config.issuer)} (give --issuer or TESSERA_ISSUER as the server has it)`);
  const aud = claims.aud;
  if (!(aud === ctx.config.audience || (Array.isArray(aud) && aud.includes(ctx.config.audience)))) {
    hints.push(`audience ${JSON.stringify(aud)} does not include the configured ${JSON.stringify(ctx.config.audience)} (TESSERA_AUDIENCE)`);
  }
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= now) hints.push(`expired at ${isoTime(claims.exp * 1000)}`);
  if (reason === 'revoked') hints.push('its session was ended, or its user signed out everywhere, changed password, or was disabled or deleted');
  if (hints.length === 0) hints.push('the signature or a claim did not pass');
  return hints;
}

async function verify(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { name: 'token verify', usage: VERIFY_USAGE, config: true, positionals: ['token|-'] });
  if (!parsed) return EXIT.ok;
  const token = await tokenArgument(parsed);
  return withContext(parsed.configArgv, async (ctx) => {
    const keys = await ctx.store.listSigningKeys();
    const jwt = decodeJwt(token);
    const refuse = (reason: string, hints: string[]) => {
      if (parsed.json) printJson({ valid: false, reason, hints });
      else printLines(`REFUSED (${reason}): ${hints.join('; ')}`);
      return EXIT.refused;
    };
    // Starting the service creates a key that signs at once when no key can sign now (none
    // yet, or every one retired): a command that only reads must not.
    if (keys.length === 0) return refuse('invalid', ['this store holds no signing keys yet']);
    if (!keys.some((k) => keyStatus(k, Date.now()) === 'current')) {
      return refuse('invalid', ['no key of this store can sign now (every one is retired or not yet active), and checking would create one: start the server first']);
    }
    const auth = await ctx.auth();
    const result = await auth.authenticate({ authorization: `Bearer ${token}` });
    if (result.status !== 'authenticated') return refuse(result.reason, refusalHints(ctx, jwt, keys, result.reason));
    const kid = typeof jwt?.header.kid === 'string' ? jwt.header.kid : null;
    if (parsed.json) printJson({ valid: true, userId: result.userId, sessionId: result.sessionId, kid, expiresAt: result.expiresAt });
    else {
      printLines(`VALID: access token of user ${result.userId}, session ${result.sessionId}, signed by ${kid ?? '?'}, expires ${shortTime(result.expiresAt)} (${relativeTime(Date.parse(result.expiresAt), Date.now())})`);
    }
    return EXIT.ok;
  });
}

/** `tessera token …`. */
export function runToken(argv: string[]): Promise<number> {
  return runSubcommand('token', argv, GROUP_USAGE, { decode, verify });
}
