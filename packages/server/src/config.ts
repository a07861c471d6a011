/**
 * The server's configuration: command-line flags override environment variables, which
 * override the defaults of {@link CONFIG_DEFAULTS}. Every value is validated once, at start;
 * a bad value throws a {@link ConfigError} whose message names the variable (or the flag) and
 * what it accepts, and never repeats a secret (service keys, database and Redis URLs).
 *
 * Rules beyond the spec's table (documented in docs/ through {@link describeConfig}):
 * - An environment variable set to the empty string counts as unset (as with Docker Compose's
 *   `VAR=${VAR}`); a flag given an empty value is an error.
 * - Numbers are plain decimal digits (no sign, exponent, hex or fraction); surrounding
 *   whitespace is ignored.
 * - Durations are whole seconds from 1 to ten years, except `TESSERA_REFRESH_REUSE_LEEWAY`,
 *   which accepts 0 (no grace: any second presentation of a rotated refresh token revokes the
 *   family) up to 300 (a longer window would weaken reuse detection).
 * - `TESSERA_SESSION_ABSOLUTE_TIMEOUT` must be at least `TESSERA_SESSION_IDLE_TIMEOUT`.
 */
import { parseArgs } from 'node:util';
import { TESSERA_OPTION_RANGES } from 'tessera';
import { DEFAULT_SQLITE_CACHE_MIB, MAX_SQLITE_CACHE_MIB } from 'tessera/sqlite';
import { ACCOUNT_CONFIG_DEFAULTS, ACCOUNT_CONFIG_ROWS, loadAccountConfig } from './config-account.js';
import type { AccountConfig } from './config-account.js';

/** The signing algorithms the server supports. */
export const JWT_ALGORITHMS = ['EdDSA', 'ES256', 'RS256', 'HS256'] as const;
/** A supported signing algorithm. */
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** The log levels of pino, plus `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The validated, frozen configuration of one server process (mail and account settings: config-account.ts). */
export interface ServerConfig extends AccountConfig {
  /** TCP port to listen on (`PORT`, `--port`). */
  readonly port: number;
  /** Address to listen on (`HOST`, `--host`). */
  readonly host: string;
  /** Directory of the SQLite database, as given (`TESSERA_DATA_DIR`, `--data-dir`). */
  readonly dataDir: string;
  /** PostgreSQL URL; undefined means SQLite (`TESSERA_DATABASE_URL`, `--database-url`). A secret. */
  readonly databaseUrl: string | undefined;
  /** Redis URL; undefined means sessions in the database (`TESSERA_REDIS_URL`, `--redis-url`). A secret. */
  readonly redisUrl: string | undefined;
  /** PostgreSQL schema of every table, and the base of the LISTEN channel (`TESSERA_DATABASE_SCHEMA`). */
  readonly databaseSchema: string;
  /** Prefix of every Redis key, and the base of the pub/sub channel (`TESSERA_REDIS_PREFIX`). */
  readonly redisPrefix: string;
  /** The `iss` of access tokens, exactly as given (`TESSERA_ISSUER`, `--issuer`). */
  readonly issuer: string;
  /** The `aud` of access tokens (`TESSERA_AUDIENCE`); defaults to the issuer. */
  readonly audience: string;
  /** Extra origins accepted by the CSRF check, normalised to `scheme://host[:port]`. */
  readonly trustedOrigins: readonly string[];
  /** Secrets other services send as Bearer to read `/auth/revocations`. Never log them. */
  readonly serviceKeys: readonly string[];
  /** Lifetime of an access token (`TESSERA_ACCESS_TOKEN_TTL`). */
  readonly accessTokenTtlSeconds: number;
  /** Window in which a just-rotated refresh token may be presented again; 0 = none. */
  readonly refreshReuseLeewaySeconds: number;
  /** A session record ends after this long unused (`TESSERA_SESSION_IDLE_TIMEOUT`). */
  readonly sessionIdleTimeoutSeconds: number;
  /** A session record ends this long after its creation (`TESSERA_SESSION_ABSOLUTE_TIMEOUT`). */
  readonly sessionAbsoluteTimeoutSeconds: number;
  /**
   * How long a session record read from the store may answer further requests with the same
   * cookie (`TESSERA_SESSION_CACHE`); 0, the default, reads the store on every request.
   */
  readonly sessionCacheSeconds: number;
  /** Most memory of SQLite's page cache, in MiB (`TESSERA_SQLITE_CACHE_MB`); unused with PostgreSQL. */
  readonly sqliteCacheMiB: number;
  /** The algorithm of newly generated signing keys (`TESSERA_JWT_ALG`). */
  readonly jwtAlgorithm: JwtAlgorithm;
  /** Clock skew accepted on `exp`/`nbf`/`iat` (`TESSERA_CLOCK_TOLERANCE`). */
  readonly clockToleranceSeconds: number;
  /** Secure cookies, named `__Host-tessera_session` (`TESSERA_COOKIE_SECURE`). */
  readonly cookieSecure: boolean;
  /** Proxy hops whose `X-Forwarded-For` entries are trusted; 0 = ignore the header. */
  readonly trustProxyHops: number;
  /** Failed sign-ins per account and client IP in a sliding 15 minutes before a 429. */
  readonly loginMaxFailures: number;
  /** Minimum password length in characters (`TESSERA_PASSWORD_MIN_LENGTH`). */
  readonly passwordMinLength: number;
  /** Log level (`TESSERA_LOG_LEVEL`). */
  readonly logLevel: LogLevel;
  /** One line per request, at `info`, when it completes (`TESSERA_ACCESS_LOG`). */
  readonly accessLog: boolean;
}

/** Defaults of every setting. `issuer` and `audience` are derived, hence undefined here. */
export const CONFIG_DEFAULTS = Object.freeze({
  port: 3000,
  host: '127.0.0.1',
  dataDir: './data',
  databaseUrl: undefined,
  redisUrl: undefined,
  databaseSchema: 'tessera',
  redisPrefix: 'tessera:',
  issuer: undefined,
  audience: undefined,
  trustedOrigins: Object.freeze([]) as readonly string[],
  serviceKeys: Object.freeze([]) as readonly string[],
  accessTokenTtlSeconds: 900,
  refreshReuseLeewaySeconds: 10,
  sessionIdleTimeoutSeconds: 86_400,
  sessionAbsoluteTimeoutSeconds: 2_592_000,
  sessionCacheSeconds: 0,
  sqliteCacheMiB: DEFAULT_SQLITE_CACHE_MIB,
  jwtAlgorithm: 'EdDSA',
  clockToleranceSeconds: 5,
  cookieSecure: true,
  trustProxyHops: 0,
  loginMaxFailures: 10,
  passwordMinLength: 15,
  logLevel: 'info',
  accessLog: true,
  ...ACCOUNT_CONFIG_DEFAULTS,
} as const satisfies { readonly [K in keyof ServerConfig]: ServerConfig[K] | undefined });

const R = TESSERA_OPTION_RANGES;
/** Largest accepted `TESSERA_SESSION_CACHE`. */
export const MAX_SESSION_CACHE_SECONDS = R.sessionCacheMaxAgeMs.max / 1000;
/** Largest accepted `TESSERA_TRUST_PROXY` hop count. */
export const MAX_TRUST_PROXY_HOPS = 32;
/** Longest accepted `TESSERA_REDIS_PREFIX`, in characters. */
export const MAX_REDIS_PREFIX_LENGTH = 64;
/** An unquoted lower-case PostgreSQL identifier (the `pg_` prefix is refused separately). */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** Shortest accepted service key, in characters. */
export const MIN_SERVICE_KEY_LENGTH = 32;

/** A configuration value that was refused. `variable` is the env name or the flag (`--port`). */
export class ConfigError extends Error {
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(message);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/** One row of the configuration reference, for the README and docs. */
export interface ConfigRow {
  /** Environment variable. */
  readonly env: string;
  /** Command-line flag of `tessera serve`, if any. */
  readonly flag: string | undefined;
  /** The default, in words. */
  readonly default: string;
  /** What it does and what it accepts. */
  readonly description: string;
}

const ROWS: readonly ConfigRow[] = [
  { env: 'PORT', flag: '--port', default: String(CONFIG_DEFAULTS.port), description: 'TCP port to listen on: an integer from 1 to 65535.' },
  { env: 'HOST', flag: '--host', default: CONFIG_DEFAULTS.host, description: 'Address to listen on (`0.0.0.0` or `::` for every interface).' },
  { env: 'TESSERA_DATA_DIR', flag: '--data-dir', default: CONFIG_DEFAULTS.dataDir, description: 'Directory of the SQLite database file, created if missing.' },
  { env: 'TESSERA_DATABASE_URL', flag: '--database-url', default: 'unset: SQLite', description: 'PostgreSQL URL (`postgres://` or `postgresql://`) for users, keys and the audit log. Treated as a secret.' },
  { env: 'TESSERA_REDIS_URL', flag: '--redis-url', default: 'unset: sessions in the database', description: 'Redis or Valkey URL (`redis://` or `rediss://`), or a comma-separated list of Redis Cluster seed nodes, for sessions, refresh tokens and rate limits (revocations stay durable in the database). Each session record carries a copy of its user, at most 5 s old and dropped whenever Tessera changes the user, so a cookie check is one Redis read (docs/scaling.md). Treated as a secret.' },
  { env: 'TESSERA_DATABASE_SCHEMA', flag: undefined, default: CONFIG_DEFAULTS.databaseSchema, description: 'PostgreSQL schema of every table (created if missing): a lower-case identifier (`a-z`, `0-9`, `_`, at most 63 characters, not starting with a digit or `pg_`). Instances of one deployment must agree on it; its LISTEN/NOTIFY channel is `<schema>_cluster` (the schema cut to 55 characters).' },
  { env: 'TESSERA_REDIS_PREFIX', flag: undefined, default: CONFIG_DEFAULTS.redisPrefix, description: `Prefix of every Redis key: 1 to ${MAX_REDIS_PREFIX_LENGTH} printable ASCII characters, no space, \`{\` or \`}\`. Distinct per deployment sharing one Redis; instances of one deployment must agree on it; its pub/sub channel is \`<prefix>cluster\`.` },
  { env: 'TESSERA_ISSUER', flag: '--issuer', default: '`http://<host>:<port>` of the listen address', description: 'The `iss` claim of access tokens: an http(s) URL without query or fragment, kept exactly as given. Set it in production.' },
  { env: 'TESSERA_AUDIENCE', flag: undefined, default: 'the issuer', description: 'The `aud` claim of access tokens (`client_id` is always `tessera`).' },
  { env: 'TESSERA_TRUSTED_ORIGINS', flag: undefined, default: "none besides the request's own origin", description: "Comma-separated origins (`https://app.example.com`) accepted by the CSRF check; no path, query or wildcard. The check also accepts the request's own origin and the issuer's (`TESSERA_ISSUER`: the server's public origin, when a proxy in front rewrites `Host`)." },
  { env: 'TESSERA_SERVICE_KEYS', flag: undefined, default: 'none', description: `Comma-separated secrets, each at least ${MIN_SERVICE_KEY_LENGTH} characters of base64/base64url, that other services send as Bearer to read \`/auth/revocations\`.` },
  { env: 'TESSERA_ACCESS_TOKEN_TTL', flag: undefined, default: String(CONFIG_DEFAULTS.accessTokenTtlSeconds), description: `Lifetime of an access token, in seconds: ${R.accessTokenTtlSeconds.min} to ${R.accessTokenTtlSeconds.max}.` },
  { env: 'TESSERA_REFRESH_REUSE_LEEWAY', flag: undefined, default: String(CONFIG_DEFAULTS.refreshReuseLeewaySeconds), description: `Seconds in which a just-rotated refresh token may be presented again (parallel tabs): 1 to ${R.refreshReuseLeewaySeconds.max} (the spec's durations are at least 1 s; the library option also takes 0).` },
  { env: 'TESSERA_SESSION_IDLE_TIMEOUT', flag: undefined, default: String(CONFIG_DEFAULTS.sessionIdleTimeoutSeconds), description: `Seconds without use after which a session record ends, ${R.sessionIdleTimeoutSeconds.min} to ${R.sessionIdleTimeoutSeconds.max} (a year); applies to cookies and refresh tokens alike.` },
  { env: 'TESSERA_SESSION_ABSOLUTE_TIMEOUT', flag: undefined, default: String(CONFIG_DEFAULTS.sessionAbsoluteTimeoutSeconds), description: `Lifetime of a session record in either mode, in seconds: at least the idle timeout, at most ${R.sessionAbsoluteTimeoutSeconds.max} (a year).` },
  { env: 'TESSERA_SESSION_CACHE', flag: undefined, default: String(CONFIG_DEFAULTS.sessionCacheSeconds), description: `Seconds a session record read from the store may answer further requests with the same cookie on this instance: 0 (a store read on every request, as the spec's session mode says) to ${MAX_SESSION_CACHE_SECONDS}. Every cached answer still checks expiry and the revocation view (revocations on any instance end it at once through the feed), but for up to this long into a store outage a cookie checked just before may still get 200: see docs/scaling.md.` },
  { env: 'TESSERA_SQLITE_CACHE_MB', flag: undefined, default: String(CONFIG_DEFAULTS.sqliteCacheMiB), description: `Most memory, in MiB, of SQLite's page cache (1 to ${MAX_SQLITE_CACHE_MIB}; filled only as pages are read). A session check whose pages are cached reads nothing from the disk or the OS: each session in use needs up to 8 KiB, so the default holds about 16,000 sessions in use at once. Unused with PostgreSQL.` },
  { env: 'TESSERA_JWT_ALG', flag: undefined, default: CONFIG_DEFAULTS.jwtAlgorithm, description: `Algorithm of new signing keys (${JWT_ALGORITHMS.join(', ')}): the first key's, and each rotation's. Changing it takes effect at the next \`tessera keys rotate\` (the new key published a minute before it signs, the old ones retired), never at a start.` },
  { env: 'TESSERA_CLOCK_TOLERANCE', flag: undefined, default: String(CONFIG_DEFAULTS.clockToleranceSeconds), description: `Seconds of clock skew accepted on \`exp\`/\`nbf\`/\`iat\`: ${R.clockToleranceSeconds.min} to ${R.clockToleranceSeconds.max}.` },
  { env: 'TESSERA_COOKIE_SECURE', flag: undefined, default: String(CONFIG_DEFAULTS.cookieSecure), description: '`true` or `false`. When true the cookie is `__Host-tessera_session` and Secure (browsers treat http://localhost as secure); when false, `tessera_session`.' },
  { env: 'TESSERA_TRUST_PROXY', flag: undefined, default: 'false', description: `\`false\` (X-Forwarded-For is ignored) or the number of proxy hops to trust, 0 to ${MAX_TRUST_PROXY_HOPS}; \`true\` is refused (trusting every hop lets any client choose its address).` },
  { env: 'TESSERA_LOGIN_MAX_FAILURES', flag: undefined, default: String(CONFIG_DEFAULTS.loginMaxFailures), description: `Failed sign-ins per account and client IP in a sliding 15 minutes, ${R.loginMaxFailures.min} to ${R.loginMaxFailures.max.toLocaleString('en-US')}; the next gets 429, a success resets it.` },
  { env: 'TESSERA_PASSWORD_MIN_LENGTH', flag: undefined, default: String(CONFIG_DEFAULTS.passwordMinLength), description: `Minimum password length in characters: ${R.passwordMinLength.min} to ${R.passwordMinLength.max} (NIST SP 800-63B-4 asks 15 for single-factor sign-in).` },
  ...ACCOUNT_CONFIG_ROWS,
  { env: 'TESSERA_LOG_LEVEL', flag: undefined, default: CONFIG_DEFAULTS.logLevel, description: `One of ${LOG_LEVELS.join(', ')}.` },
  { env: 'TESSERA_ACCESS_LOG', flag: undefined, default: String(CONFIG_DEFAULTS.accessLog), description: '`true` or `false`. When true, and the level is `info` or below, every request is logged once when it completes (method, path without query string, remote address, status, duration, request id). `false` keeps the other lines of the level: the access line is the dearest part of a request answered from memory (README, Logs).' },
];

/**
 * The configuration reference: one row per environment variable, in the spec's order.
 * The docs render their table from it.
 */
export function describeConfig(): ConfigRow[] {
  return ROWS.map((row) => ({ ...row }));
}

const FLAGS = ['port', 'host', 'data-dir', 'database-url', 'redis-url', 'issuer'] as const;
type Flag = (typeof FLAGS)[number];

const FLAG_ENV: Record<Flag, string> = {
  port: 'PORT',
  host: 'HOST',
  'data-dir': 'TESSERA_DATA_DIR',
  'database-url': 'TESSERA_DATABASE_URL',
  'redis-url': 'TESSERA_REDIS_URL',
  issuer: 'TESSERA_ISSUER',
};

/** A raw value and the name (env variable or flag) it came from. */
interface Raw {
  readonly name: string;
  readonly value: string;
}

/** Shows a non-secret value in an error message: quoted, escaped, truncated. */
function shown(raw: Raw): string {
  const v = raw.value.length > 60 ? `${raw.value.slice(0, 60)}…` : raw.value;
  return JSON.stringify(v);
}

function parseFlags(argv: readonly string[]): Partial<Record<Flag, string>> {
  const options = Object.fromEntries(FLAGS.map((f) => [f, { type: 'string' as const }]));
  const accepted = FLAGS.map((f) => `--${f}`).join(', ');
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as Partial<Record<Flag, string>>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      // Name only the flag, never a value that followed `=`.
      const known = new Set(FLAGS.map((f) => `--${f}`));
      const bad = argv.find((a) => a.startsWith('-') && a !== '--' && !known.has(a.split('=', 1)[0] ?? a));
      const name = (bad ?? 'flag').split('=', 1)[0] ?? 'flag';
      throw new ConfigError(name, `Unknown flag ${name}. Accepted flags: ${accepted}.`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const m = /'(--[a-z-]+)/.exec((error as Error).message);
      const name = m?.[1] ?? 'flag';
      throw new ConfigError(name, `Flag ${name} needs a value (${name} <value> or ${name}=<value>).`);
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      throw new ConfigError('argv', `Unexpected argument: only flags are accepted (${accepted}), each with a value.`);
    }
    throw new ConfigError('argv', `Could not read the command-line flags. Accepted flags: ${accepted}.`);
  }
}

/** Reads the effective raw value: the flag if given, else the env variable if non-empty. */
function source(flags: Partial<Record<Flag, string>>, env: Record<string, string | undefined>, envName: string, flag?: Flag): Raw | undefined {
  if (flag !== undefined) {
    const v = flags[flag];
    if (v !== undefined) return { name: `--${flag}`, value: v };
  }
  const v = env[envName];
  if (v === undefined || v === '') return undefined;
  return { name: envName, value: v };
}

function integer(raw: Raw, min: number, max: number, what: string): number {
  const t = raw.value.trim();
  const n = /^[0-9]{1,16}$/.test(t) ? Number(t) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(raw.name, `${raw.name} must be ${what} from ${min} to ${max}; got ${shown(raw)}.`);
  }
  return n;
}

function oneOf<T extends string>(raw: Raw, values: readonly T[]): T {
  const t = raw.value.trim();
  const found = values.find((v) => v === t);
  if (found === undefined) {
    throw new ConfigError(raw.name, `${raw.name} must be one of ${values.join(', ')}; got ${shown(raw)}.`);
  }
  return found;
}

function nonEmpty(raw: Raw, what: string): string {
  if (raw.value.trim() === '') throw new ConfigError(raw.name, `${raw.name} must be ${what}; got an empty value.`);
  return raw.value;
}

/** Splits a comma list, trimming entries and dropping empty ones (a trailing comma is fine). */
function list(raw: Raw | undefined): string[] {
  if (raw === undefined) return [];
  return raw.value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** Validates a secret URL's scheme without ever repeating the URL. */
function secretUrl(raw: Raw, schemes: readonly string[], what: string): string {
  const accepted = schemes.map((s) => `${s}//`).join(' or ');
  let url: URL;
  try {
    url = new URL(raw.value.trim());
  } catch {
    throw new ConfigError(raw.name, `${raw.name} must be a ${what} URL starting with ${accepted}; the value given is not a URL (not shown: it may hold a password).`);
  }
  if (!schemes.includes(url.protocol)) {
    throw new ConfigError(raw.name, `${raw.name} must be a ${what} URL starting with ${accepted} (value not shown: it may hold a password).`);
  }
  return raw.value.trim();
}

/**
 * One Redis URL, or a comma-separated list of Redis Cluster seed nodes. The nodes of a cluster
 * are reached with one set of connection settings, so the seeds must agree on the scheme (TLS
 * or not) and the credentials; a cluster has no logical databases, so none may name one.
 */
function redisUrls(raw: Raw): string {
  const entries = raw.value.split(',').map((entry) => secretUrl({ ...raw, value: entry }, ['redis:', 'rediss:'], 'Redis'));
  if (entries.length > 1) {
    const seeds = entries.map((entry) => new URL(entry));
    const first = seeds[0]!;
    if (seeds.some((u) => u.protocol !== first.protocol || u.username !== first.username || u.password !== first.password)) {
      throw new ConfigError(raw.name, `${raw.name} lists Redis Cluster seed nodes that differ in scheme (redis:// or rediss://) or credentials: every node is reached with the same ones (value not shown: it may hold a password).`);
    }
    if (seeds.some((u) => u.pathname !== '' && u.pathname !== '/' && u.pathname !== '/0')) {
      throw new ConfigError(raw.name, `${raw.name} lists Redis Cluster seed nodes with a database number: a Redis Cluster has only database 0 (value not shown: it may hold a password).`);
    }
  }
  return entries.join(',');
}

/** True when `s` holds whitespace or an ASCII control character. */
function hasSpaceOrControl(s: string): boolean {
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (c <= 0x20 || c === 0x7f || /\s/u.test(ch)) return true;
  }
  return false;
}

function issuerUrl(raw: Raw): string {
  const v = raw.value;
  const what = 'an http(s) URL without whitespace, credentials, query or fragment (e.g. https://auth.example.com)';
  let url: URL | undefined;
  try {
    url = hasSpaceOrControl(v) || v.includes('\\') || !/^https?:\/\/[^/]/i.test(v) ? undefined : new URL(v);
  } catch {
    url = undefined;
  }
  if (
    url === undefined ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.username !== '' || url.password !== '' ||
    url.search !== '' || url.hash !== '' || v.includes('?') || v.includes('#')
  ) {
    throw new ConfigError(raw.name, `${raw.name} must be ${what}; got ${shown(raw)}.`);
  }
  return v;
}

function origin(raw: Raw, entry: string): string {
  let url: URL | undefined;
  try {
    url = new URL(entry);
  } catch {
    url = undefined;
  }
  if (
    url === undefined ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.username !== '' || url.password !== '' ||
    (url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '' ||
    entry.includes('*') || /[?#]/.test(entry) || /^[a-z]+:\/\/[^/]+\/./i.test(entry)
  ) {
    const one = { name: raw.name, value: entry };
    throw new ConfigError(raw.name, `${raw.name} must be a comma-separated list of origins, each scheme://host[:port] with http or https and no path, query or wildcard; got ${shown(one)}.`);
  }
  return url.origin;
}

const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

function serviceKeys(raw: Raw | undefined): string[] {
  const keys = list(raw);
  keys.forEach((key, i) => {
    if (key.length < MIN_SERVICE_KEY_LENGTH || !TOKEN68.test(key)) {
      // Never echo the key, nor its length.
      throw new ConfigError(raw?.name ?? 'TESSERA_SERVICE_KEYS', `TESSERA_SERVICE_KEYS entry ${i + 1} of ${keys.length} is refused: each key must be at least ${MIN_SERVICE_KEY_LENGTH} characters of A-Z a-z 0-9 - . _ ~ + / (e.g. base64url of 32 random bytes) (value not shown).`);
    }
  });
  return keys;
}

function trustProxy(raw: Raw | undefined): number {
  if (raw === undefined) return CONFIG_DEFAULTS.trustProxyHops;
  const t = raw.value.trim();
  if (t === 'false') return 0;
  if (t === 'true') {
    throw new ConfigError(raw.name, `${raw.name} must be false or the number of proxy hops to trust (0 to ${MAX_TRUST_PROXY_HOPS}); "true" would let any client forge X-Forwarded-For, so give the hop count, e.g. 1 behind one load balancer.`);
  }
  if (!/^[0-9]+$/.test(t)) {
    throw new ConfigError(raw.name, `${raw.name} must be false or the number of proxy hops to trust (0 to ${MAX_TRUST_PROXY_HOPS}); got ${shown(raw)}.`);
  }
  return integer(raw, 0, MAX_TRUST_PROXY_HOPS, 'false or a number of proxy hops');
}

function bool(raw: Raw | undefined, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  return oneOf(raw, ['true', 'false'] as const) === 'true';
}

/** Formats `host` for a URL: IPv6 literals go in brackets. */
function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Reads the configuration from `argv` (flags only, e.g. `['--port', '8080']`) and `env`.
 * Flags override env; env overrides {@link CONFIG_DEFAULTS}. Throws {@link ConfigError}.
 */
export function loadConfig(argv: readonly string[], env: Record<string, string | undefined>): ServerConfig {
  const flags = parseFlags(argv);
  const get = (envName: string, flag?: Flag): Raw | undefined => source(flags, env, envName, flag);
  const d = CONFIG_DEFAULTS;

  const portRaw = get(FLAG_ENV.port, 'port');
  const port = portRaw === undefined ? d.port : integer(portRaw, 1, 65_535, 'an integer port');

  const hostRaw = get(FLAG_ENV.host, 'host');
  let host: string = d.host;
  if (hostRaw !== undefined) {
    host = nonEmpty(hostRaw, 'a host name or IP address').trim();
    if (/[\s/]/.test(host)) throw new ConfigError(hostRaw.name, `${hostRaw.name} must be a host name or IP address; got ${shown(hostRaw)}.`);
  }

  const dataDirRaw = get(FLAG_ENV['data-dir'], 'data-dir');
  const dataDir = dataDirRaw === undefined ? d.dataDir : nonEmpty(dataDirRaw, 'a directory path');

  const dbRaw = get(FLAG_ENV['database-url'], 'database-url');
  const databaseUrl = dbRaw === undefined ? undefined : secretUrl(dbRaw, ['postgres:', 'postgresql:'], 'PostgreSQL');

  const redisRaw = get(FLAG_ENV['redis-url'], 'redis-url');
  // One URL, or a comma-separated list of Redis Cluster seed nodes; each entry is checked.
  const redisUrl = redisRaw === undefined ? undefined : redisUrls(redisRaw);

  const schemaRaw = get('TESSERA_DATABASE_SCHEMA');
  let databaseSchema: string = d.databaseSchema;
  if (schemaRaw !== undefined) {
    databaseSchema = schemaRaw.value.trim();
    if (!SCHEMA_NAME.test(databaseSchema) || databaseSchema.startsWith('pg_')) {
      throw new ConfigError(schemaRaw.name, `${schemaRaw.name} must be a lower-case PostgreSQL identifier (a-z, 0-9, _; at most 63 characters; not starting with a digit or pg_); got ${shown(schemaRaw)}.`);
    }
  }

  const prefixRaw = get('TESSERA_REDIS_PREFIX');
  let redisPrefix: string = d.redisPrefix;
  if (prefixRaw !== undefined) {
    redisPrefix = prefixRaw.value.trim();
    if (redisPrefix.length > MAX_REDIS_PREFIX_LENGTH || !/^[\x21-\x7e]+$/.test(redisPrefix) || /[{}]/.test(redisPrefix)) {
      throw new ConfigError(prefixRaw.name, `${prefixRaw.name} must be 1 to ${MAX_REDIS_PREFIX_LENGTH} printable ASCII characters without space, "{" or "}" (they would break the hash tags); got ${shown(prefixRaw)}.`);
    }
  }

  const issuerRaw = get(FLAG_ENV.issuer, 'issuer');
  const issuer = issuerRaw === undefined ? `http://${urlHost(host)}:${port}` : issuerUrl(issuerRaw);
  if (issuerRaw === undefined && !URL.canParse(issuer)) {
    // The default issuer is made from HOST: a host no URL can hold (":", "[") is refused here.
    throw new ConfigError(hostRaw?.name ?? 'HOST', `${hostRaw?.name ?? 'HOST'} must be a host name or IP address from which an issuer URL can be made (or set TESSERA_ISSUER); got ${JSON.stringify(host.slice(0, 60))}.`);
  }

  const audienceRaw = get('TESSERA_AUDIENCE');
  let audience = issuer;
  if (audienceRaw !== undefined) {
    audience = nonEmpty(audienceRaw, 'a non-empty string (usually a URL)');
    if (hasSpaceOrControl(audience)) {
      throw new ConfigError(audienceRaw.name, `${audienceRaw.name} must be a string without whitespace or control characters (usually a URL); got ${shown(audienceRaw)}.`);
    }
  }

  const originsRaw = get('TESSERA_TRUSTED_ORIGINS');
  const trustedOrigins = originsRaw === undefined ? [] : [...new Set(list(originsRaw).map((o) => origin(originsRaw, o)))];

  const keys = serviceKeys(get('TESSERA_SERVICE_KEYS'));

  // The library's ranges, so that a value accepted here never fails at construction (where it
  // would be reported against the option's name, not the variable's); and at least 1 s, as
  // the spec has every duration.
  const duration = (envName: string, fallback: number, range: { readonly min: number; readonly max: number }): number => {
    const raw = get(envName);
    return raw === undefined ? fallback : integer(raw, Math.max(1, range.min), range.max, 'a whole number of seconds');
  };
  const accessTokenTtlSeconds = duration('TESSERA_ACCESS_TOKEN_TTL', d.accessTokenTtlSeconds, R.accessTokenTtlSeconds);
  const refreshReuseLeewaySeconds = duration('TESSERA_REFRESH_REUSE_LEEWAY', d.refreshReuseLeewaySeconds, R.refreshReuseLeewaySeconds);
  const sessionIdleTimeoutSeconds = duration('TESSERA_SESSION_IDLE_TIMEOUT', d.sessionIdleTimeoutSeconds, R.sessionIdleTimeoutSeconds);
  const sessionAbsoluteTimeoutSeconds = duration('TESSERA_SESSION_ABSOLUTE_TIMEOUT', d.sessionAbsoluteTimeoutSeconds, R.sessionAbsoluteTimeoutSeconds);
  if (sessionAbsoluteTimeoutSeconds < sessionIdleTimeoutSeconds) {
    throw new ConfigError(
      'TESSERA_SESSION_ABSOLUTE_TIMEOUT',
      `TESSERA_SESSION_ABSOLUTE_TIMEOUT (${sessionAbsoluteTimeoutSeconds}) must be at least TESSERA_SESSION_IDLE_TIMEOUT (${sessionIdleTimeoutSeconds}).`,
    );
  }

  const cacheRaw = get('TESSERA_SESSION_CACHE');
  const sessionCacheSeconds = cacheRaw === undefined ? d.sessionCacheSeconds : integer(cacheRaw, 0, MAX_SESSION_CACHE_SECONDS, 'a whole number of seconds');

  const sqliteCacheRaw = get('TESSERA_SQLITE_CACHE_MB');
  const sqliteCacheMiB = sqliteCacheRaw === undefined ? d.sqliteCacheMiB : integer(sqliteCacheRaw, 1, MAX_SQLITE_CACHE_MIB, 'a whole number of MiB');

  const algRaw = get('TESSERA_JWT_ALG');
  const jwtAlgorithm: JwtAlgorithm = algRaw === undefined ? d.jwtAlgorithm : oneOf(algRaw, JWT_ALGORITHMS);

  const tolRaw = get('TESSERA_CLOCK_TOLERANCE');
  const clockToleranceSeconds = tolRaw === undefined ? d.clockToleranceSeconds : integer(tolRaw, R.clockToleranceSeconds.min, R.clockToleranceSeconds.max, 'a whole number of seconds');

  const cookieSecure = bool(get('TESSERA_COOKIE_SECURE'), d.cookieSecure);
  const trustProxyHops = trustProxy(get('TESSERA_TRUST_PROXY'));

  const failRaw = get('TESSERA_LOGIN_MAX_FAILURES');
  const loginMaxFailures = failRaw === undefined ? d.loginMaxFailures : integer(failRaw, R.loginMaxFailures.min, R.loginMaxFailures.max, 'an integer');

  const pwRaw = get('TESSERA_PASSWORD_MIN_LENGTH');
  const passwordMinLength = pwRaw === undefined ? d.passwordMinLength : integer(pwRaw, R.passwordMinLength.min, R.passwordMinLength.max, 'an integer number of characters');

  const account = loadAccountConfig((name) => get(name), issuer, (name, message) => new ConfigError(name, message), host);

  const levelRaw = get('TESSERA_LOG_LEVEL');
  const logLevel: LogLevel = levelRaw === undefined ? d.logLevel : oneOf(levelRaw, LOG_LEVELS);
  const accessLog = bool(get('TESSERA_ACCESS_LOG'), d.accessLog);

  return Object.freeze({
    port,
    host,
    dataDir,
    databaseUrl,
    redisUrl,
    databaseSchema,
    redisPrefix,
    issuer,
    audience,
    trustedOrigins: Object.freeze(trustedOrigins),
    serviceKeys: Object.freeze(keys),
    accessTokenTtlSeconds,
    refreshReuseLeewaySeconds,
    sessionIdleTimeoutSeconds,
    sessionAbsoluteTimeoutSeconds,
    sessionCacheSeconds,
    sqliteCacheMiB,
    jwtAlgorithm,
    clockToleranceSeconds,
    cookieSecure,
    trustProxyHops,
    loginMaxFailures,
    passwordMinLength,
    logLevel,
    accessLog,
    ...account,
  });
}
