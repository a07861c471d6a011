/**
 * The configuration of mail and the account flows (email verification, password reset, email
 * change, the admin API): a part of {@link ServerConfig}, read by `loadConfig` with the same
 * rules (an empty variable is unset; a bad value throws a {@link ConfigError} naming it and
 * never repeating a secret: the SMTP URL and the admin keys are secrets).
 */
import { TESSERA_OPTION_RANGES as R } from 'tessera';
import type { ConfigError, ConfigRow } from './config.js';

/** Makes the {@link ConfigError} of a refused value (passed in by config.ts: no import cycle at run time). */
export type ConfigErrorFactory = (variable: string, message: string) => ConfigError;

/** The mail and account settings of a {@link ServerConfig}. */
export interface AccountConfig {
  /** SMTP server (`smtp://` or `smtps://`, credentials inside); undefined: the development outbox. A secret. */
  readonly smtpUrl: string | undefined;
  /** The `From` of every mail (`TESSERA_MAIL_FROM`); default `Tessera <no-reply@<issuer host>>`. */
  readonly mailFrom: string;
  /** Refuse sign-in until the email is verified (`TESSERA_REQUIRE_VERIFIED_EMAIL`). */
  readonly requireVerifiedEmail: boolean;
  /** Lifetime of a password reset link (`TESSERA_PASSWORD_RESET_TTL`). */
  readonly passwordResetTtlSeconds: number;
  /** Lifetime of an email verification or change link (`TESSERA_EMAIL_VERIFICATION_TTL`). */
  readonly emailVerificationTtlSeconds: number;
  /** Secrets that open the admin API (`TESSERA_ADMIN_KEYS`). Never log them. */
  readonly adminKeys: readonly string[];
  /** Serve the development outbox at `GET /dev/outbox` (`TESSERA_DEV_OUTBOX_HTTP`). */
  readonly devOutboxHttp: boolean;
}

/** Defaults of the account settings (`mailFrom` is derived from the issuer, hence undefined). */
export const ACCOUNT_CONFIG_DEFAULTS = Object.freeze({
  smtpUrl: undefined,
  mailFrom: undefined,
  requireVerifiedEmail: false,
  passwordResetTtlSeconds: 1800,
  emailVerificationTtlSeconds: 86_400,
  adminKeys: Object.freeze([]) as readonly string[],
  devOutboxHttp: false,
} as const satisfies { readonly [K in keyof AccountConfig]: AccountConfig[K] | undefined });

/** Shortest accepted admin key, in characters (as service keys). */
export const MIN_ADMIN_KEY_LENGTH = 32;

/** Rows of the configuration reference (between the password and log settings). */
export const ACCOUNT_CONFIG_ROWS: readonly ConfigRow[] = [
  { env: 'TESSERA_SMTP_URL', flag: undefined, default: 'unset: the development outbox', description: 'SMTP server for account mail: `smtp://[user:password@]host[:port]` (STARTTLS when offered) or `smtps://…` (TLS). Unset, mail is kept in the database instead (`tessera mail list`) and a warning is logged at start. Treated as a secret.' },
  { env: 'TESSERA_MAIL_FROM', flag: undefined, default: '`Tessera <no-reply@<issuer host>>`', description: 'The `From` of account mail: an address, optionally as `Name <address>`.' },
  { env: 'TESSERA_REQUIRE_VERIFIED_EMAIL', flag: undefined, default: 'false', description: '`true`: sign-in of an account whose email is not verified is refused (403, after the password is proven) and a new verification link is mailed. `false`: verification is offered, not required.' },
  { env: 'TESSERA_PASSWORD_RESET_TTL', flag: undefined, default: String(ACCOUNT_CONFIG_DEFAULTS.passwordResetTtlSeconds), description: `Lifetime of a password reset link, in seconds: ${R.passwordResetTtlSeconds.min} to ${R.passwordResetTtlSeconds.max}.` },
  { env: 'TESSERA_EMAIL_VERIFICATION_TTL', flag: undefined, default: String(ACCOUNT_CONFIG_DEFAULTS.emailVerificationTtlSeconds), description: `Lifetime of an email verification or email change link, in seconds: ${R.emailVerificationTtlSeconds.min} to ${R.emailVerificationTtlSeconds.max}.` },
  { env: 'TESSERA_ADMIN_KEYS', flag: undefined, default: 'none (the admin API answers 401)', description: `Comma-separated secrets, each at least ${MIN_ADMIN_KEY_LENGTH} characters of base64/base64url, sent as Bearer to the admin API (\`/admin/users…\`).` },
  { env: 'TESSERA_DEV_OUTBOX_HTTP', flag: undefined, default: 'false', description: '`true` serves the development outbox as JSON at `GET /dev/outbox`, for the web UI. Refused with `TESSERA_SMTP_URL`, and unless both the issuer and `HOST` are loopback addresses (`localhost`, `127.0.0.1`, `[::1]`): it shows every account\'s links. Requests from another address, or to a `Host` that is not a loopback name, get 404.' },
];

/** A raw value and the name it came from (as config.ts reads them). */
interface Raw {
  readonly name: string;
  readonly value: string;
}

function shown(raw: Raw): string {
  return JSON.stringify(raw.value.length > 60 ? `${raw.value.slice(0, 60)}…` : raw.value);
}

function bool(fail: ConfigErrorFactory, raw: Raw | undefined, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  const t = raw.value.trim();
  if (t !== 'true' && t !== 'false') throw fail(raw.name, `${raw.name} must be one of true, false; got ${shown(raw)}.`);
  return t === 'true';
}

function seconds(fail: ConfigErrorFactory, raw: Raw | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const t = raw.value.trim();
  const n = /^[0-9]{1,16}$/.test(t) ? Number(t) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw fail(raw.name, `${raw.name} must be a whole number of seconds from ${min} to ${max}; got ${shown(raw)}.`);
  }
  return n;
}

function smtpUrl(fail: ConfigErrorFactory, raw: Raw): string {
  let url: URL | undefined;
  try {
    url = new URL(raw.value.trim());
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || url.hostname === '') {
    throw fail(raw.name, `${raw.name} must be an SMTP URL starting with smtp:// or smtps:// and naming a host (value not shown: it may hold a password).`);
  }
  return raw.value.trim();
}

/** `Name <address>` or `address`: one address, no line breaks (it becomes a header). */
function mailFrom(fail: ConfigErrorFactory, raw: Raw): string {
  const v = raw.value.trim();
  const address = /<([^<>]+)>$/.exec(v)?.[1] ?? v;
  if (/[\r\n\p{Cc}]/u.test(v) || !/^[^\s@<>",]+@[^\s@<>",]+$/.test(address)) {
    throw fail(raw.name, `${raw.name} must be one email address, optionally as Name <address>; got ${shown(raw)}.`);
  }
  return v;
}

const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

function adminKeys(fail: ConfigErrorFactory, raw: Raw | undefined): string[] {
  if (raw === undefined) return [];
  const keys = raw.value.split(',').map((k) => k.trim()).filter((k) => k !== '');
  keys.forEach((key, i) => {
    if (key.length < MIN_ADMIN_KEY_LENGTH || !TOKEN68.test(key)) {
      throw fail(raw.name, `${raw.name} entry ${i + 1} of ${keys.length} is refused: each key must be at least ${MIN_ADMIN_KEY_LENGTH} characters of A-Z a-z 0-9 - . _ ~ + / (e.g. base64url of 32 random bytes) (value not shown).`);
    }
  });
  return keys;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True for an address that only this machine can reach: `localhost`, 127.0.0.0/8, ::1 (in any spelling Node reports). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.replace(/^\[|\]$/g, '').toLowerCase();
  return a === 'localhost' || a === '::1' || /^(?:::ffff:)?127(?:\.\d{1,3}){3}$/.test(a);
}

/**
 * Reads the account settings. `read(env)` returns the variable's raw value (or undefined);
 * `issuer` is the validated issuer (the default sender's domain, the loopback check); `fail`
 * makes the error of a refused value.
 */
export function loadAccountConfig(read: (env: string) => Raw | undefined, issuer: string, fail: ConfigErrorFactory, listenHost = '127.0.0.1'): AccountConfig {
  const d = ACCOUNT_CONFIG_DEFAULTS;
  const smtpRaw = read('TESSERA_SMTP_URL');
  const smtp = smtpRaw === undefined ? undefined : smtpUrl(fail, smtpRaw);
  const fromRaw = read('TESSERA_MAIL_FROM');
  // config.ts has checked the issuer (given, or made from HOST and PORT); never throw a TypeError here.
  const issuerHost = URL.canParse(issuer) ? new URL(issuer).hostname : 'localhost';
  const outboxRaw = read('TESSERA_DEV_OUTBOX_HTTP');
  const devOutboxHttp = bool(fail, outboxRaw, d.devOutboxHttp);
  if (devOutboxHttp && smtp !== undefined) {
    throw fail(outboxRaw!.name, `${outboxRaw!.name}=true serves the development outbox, which is not used with TESSERA_SMTP_URL: unset one of them.`);
  }
  if (devOutboxHttp && (!LOOPBACK_HOSTS.has(issuerHost) || !isLoopbackAddress(listenHost))) {
    // The outbox holds working reset links of every account: never on a reachable server. The
    // issuer alone says nothing of where the server listens (HOST=0.0.0.0 behind a port mapping).
    throw fail(outboxRaw!.name, `${outboxRaw!.name}=true is only accepted when the issuer is a loopback address (localhost, 127.0.0.1, [::1]) and the server listens on one (HOST): the outbox shows every account's reset links.`);
  }
  return {
    smtpUrl: smtp,
    mailFrom: fromRaw === undefined ? `Tessera <no-reply@${issuerHost}>` : mailFrom(fail, fromRaw),
    requireVerifiedEmail: bool(fail, read('TESSERA_REQUIRE_VERIFIED_EMAIL'), d.requireVerifiedEmail),
    passwordResetTtlSeconds: seconds(fail, read('TESSERA_PASSWORD_RESET_TTL'), d.passwordResetTtlSeconds, R.passwordResetTtlSeconds.min, R.passwordResetTtlSeconds.max),
    emailVerificationTtlSeconds: seconds(fail, read('TESSERA_EMAIL_VERIFICATION_TTL'), d.emailVerificationTtlSeconds, R.emailVerificationTtlSeconds.min, R.emailVerificationTtlSeconds.max),
    adminKeys: Object.freeze(adminKeys(fail, read('TESSERA_ADMIN_KEYS'))),
    devOutboxHttp,
  };
}
