import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Mailer, Store } from 'tessera';
import { CONFIG_DEFAULTS, ConfigError, describeConfig, loadConfig } from '../src/config.js';
import { tesseraOptionsFrom } from '../src/tessera-options.js';
import { createArgon2Hasher, createTessera } from 'tessera';
import type { ResolvedOptions, TesseraOptions } from 'tessera';
import { createMemoryStore } from 'tessera/memory';

/** Every variable of the configuration table of SPEC.md. */
const SPEC_VARIABLES = [
  'PORT', 'HOST', 'TESSERA_DATA_DIR', 'TESSERA_DATABASE_URL', 'TESSERA_REDIS_URL', 'TESSERA_ISSUER',
  'TESSERA_AUDIENCE', 'TESSERA_TRUSTED_ORIGINS', 'TESSERA_SERVICE_KEYS', 'TESSERA_ACCESS_TOKEN_TTL',
  'TESSERA_REFRESH_REUSE_LEEWAY', 'TESSERA_SESSION_IDLE_TIMEOUT', 'TESSERA_SESSION_ABSOLUTE_TIMEOUT',
  'TESSERA_JWT_ALG', 'TESSERA_CLOCK_TOLERANCE', 'TESSERA_COOKIE_SECURE', 'TESSERA_TRUST_PROXY',
  'TESSERA_LOGIN_MAX_FAILURES', 'TESSERA_PASSWORD_MIN_LENGTH', 'TESSERA_LOG_LEVEL',
];

/** Variables beyond the spec's table, and where describeConfig lists them (after TESSERA_REDIS_URL). */
const EXTRA_VARIABLES = ['TESSERA_DATABASE_SCHEMA', 'TESSERA_REDIS_PREFIX'];
/** The opt-in session cache and SQLite's page cache, listed after TESSERA_SESSION_ABSOLUTE_TIMEOUT. */
const CACHE_VARIABLES = ['TESSERA_SESSION_CACHE', 'TESSERA_SQLITE_CACHE_MB'];
/** Mail and account variables (config-account.ts), listed before TESSERA_LOG_LEVEL. */
const ACCOUNT_VARIABLES = [
  'TESSERA_SMTP_URL', 'TESSERA_MAIL_FROM', 'TESSERA_REQUIRE_VERIFIED_EMAIL', 'TESSERA_PASSWORD_RESET_TTL',
  'TESSERA_EMAIL_VERIFICATION_TTL', 'TESSERA_ADMIN_KEYS', 'TESSERA_DEV_OUTBOX_HTTP',
];
/** Whether requests get an access line, listed after TESSERA_LOG_LEVEL. */
const LOG_VARIABLES = ['TESSERA_ACCESS_LOG'];
const DOCUMENTED_VARIABLES = [
  ...SPEC_VARIABLES.slice(0, 5), ...EXTRA_VARIABLES, ...SPEC_VARIABLES.slice(5, 13), ...CACHE_VARIABLES,
  ...SPEC_VARIABLES.slice(13, -1), ...ACCOUNT_VARIABLES, ...SPEC_VARIABLES.slice(-1), ...LOG_VARIABLES,
];

const KEY_A = 'a'.repeat(43);
const KEY_B = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5';

/** Asserts that loading throws a ConfigError naming `name` (and returns it). */
function refused(argv: string[], env: Record<string, string | undefined>, name: string): ConfigError {
  let caught: unknown;
  try {
    loadConfig(argv, env);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError for ${name}, got ${String(caught)}`);
  assert.equal(caught.variable, name);
  assert.ok(caught.message.includes(name), `message should name ${name}: ${caught.message}`);
  return caught;
}

test('defaults: the spec table, frozen, with units in the names', () => {
  const c = loadConfig([], {});
  assert.deepEqual({ ...c }, {
    port: 3000,
    host: '127.0.0.1',
    dataDir: './data',
    databaseUrl: undefined,
    redisUrl: undefined,
    databaseSchema: 'tessera',
    redisPrefix: 'tessera:',
    issuer: 'http://127.0.0.1:3000',
    audience: 'http://127.0.0.1:3000',
    trustedOrigins: [],
    serviceKeys: [],
    accessTokenTtlSeconds: 900,
    refreshReuseLeewaySeconds: 10,
    sessionIdleTimeoutSeconds: 86400,
    sessionAbsoluteTimeoutSeconds: 2592000,
    sessionCacheSeconds: 0,
    sqliteCacheMiB: 128,
    jwtAlgorithm: 'EdDSA',
    clockToleranceSeconds: 5,
    cookieSecure: true,
    trustProxyHops: 0,
    loginMaxFailures: 10,
    passwordMinLength: 15,
    logLevel: 'info',
    accessLog: true,
    smtpUrl: undefined,
    mailFrom: 'Tessera <no-reply@127.0.0.1>',
    requireVerifiedEmail: false,
    passwordResetTtlSeconds: 1800,
    emailVerificationTtlSeconds: 86400,
    adminKeys: [],
    devOutboxHttp: false,
  });
  assert.ok(Object.isFrozen(c));
  assert.ok(Object.isFrozen(c.trustedOrigins));
  assert.ok(Object.isFrozen(c.serviceKeys));
  assert.ok(Object.isFrozen(CONFIG_DEFAULTS));
  assert.throws(() => {
    (c as { port: number }).port = 1;
  }, TypeError);
});

test('every value from the environment', () => {
  const c = loadConfig([], {
    PORT: '8080',
    HOST: '0.0.0.0',
    TESSERA_DATA_DIR: '/var/lib/tessera',
    TESSERA_DATABASE_URL: 'postgres://u:pw@db:5432/tessera',
    TESSERA_REDIS_URL: 'rediss://:pw@cache:6380/0',
    TESSERA_ISSUER: 'https://auth.example.com',
    TESSERA_AUDIENCE: 'https://api.example.com',
    TESSERA_TRUSTED_ORIGINS: 'https://app.example.com, https://admin.example.com:443/ ,http://localhost:5173,',
    TESSERA_SERVICE_KEYS: `${KEY_A},${KEY_B}`,
    TESSERA_ACCESS_TOKEN_TTL: '300',
    TESSERA_REFRESH_REUSE_LEEWAY: '1',
    TESSERA_SESSION_IDLE_TIMEOUT: '3600',
    TESSERA_SESSION_ABSOLUTE_TIMEOUT: '3600',
    TESSERA_JWT_ALG: 'ES256',
    TESSERA_CLOCK_TOLERANCE: '0',
    TESSERA_COOKIE_SECURE: 'false',
    TESSERA_TRUST_PROXY: '2',
    TESSERA_LOGIN_MAX_FAILURES: '5',
    TESSERA_PASSWORD_MIN_LENGTH: '8',
    TESSERA_LOG_LEVEL: 'silent',
  });
  assert.equal(c.port, 8080);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.dataDir, '/var/lib/tessera');
  assert.equal(c.databaseUrl, 'postgres://u:pw@db:5432/tessera');
  assert.equal(c.redisUrl, 'rediss://:pw@cache:6380/0');
  assert.equal(c.issuer, 'https://auth.example.com');
  assert.equal(c.audience, 'https://api.example.com');
  assert.deepEqual(c.trustedOrigins, ['https://app.example.com', 'https://admin.example.com', 'http://localhost:5173']);
  assert.deepEqual(c.serviceKeys, [KEY_A, KEY_B]);
  assert.equal(c.accessTokenTtlSeconds, 300);
  assert.equal(c.refreshReuseLeewaySeconds, 1);
  assert.equal(c.sessionIdleTimeoutSeconds, 3600);
  assert.equal(c.sessionAbsoluteTimeoutSeconds, 3600);
  assert.equal(c.jwtAlgorithm, 'ES256');
  assert.equal(c.clockToleranceSeconds, 0);
  assert.equal(c.cookieSecure, false);
  assert.equal(c.trustProxyHops, 2);
  assert.equal(c.loginMaxFailures, 5);
  assert.equal(c.passwordMinLength, 8);
  assert.equal(c.logLevel, 'silent');
});

test('flags override env, env overrides defaults; --flag=value works', () => {
  const env = { PORT: '4000', HOST: '10.0.0.1', TESSERA_DATA_DIR: '/env', TESSERA_ISSUER: 'https://env.example.com' };
  const c = loadConfig(['--port', '5000', '--data-dir=/flag', '--issuer', 'https://flag.example.com'], env);
  assert.equal(c.port, 5000);
  assert.equal(c.host, '10.0.0.1');
  assert.equal(c.dataDir, '/flag');
  assert.equal(c.issuer, 'https://flag.example.com');
  assert.equal(c.audience, 'https://flag.example.com');
  const d = loadConfig(['--database-url', 'postgresql://db/x', '--redis-url', 'redis://r:6379', '--host', '::1'], {
    TESSERA_DATABASE_URL: 'postgres://env/x',
  });
  assert.equal(d.databaseUrl, 'postgresql://db/x');
  assert.equal(d.redisUrl, 'redis://r:6379');
  assert.equal(d.issuer, 'http://[::1]:3000', 'IPv6 listen addresses are bracketed in the default issuer');
});

test('the default issuer follows the effective host and port', () => {
  assert.equal(loadConfig(['--port', '8443'], { HOST: 'localhost' }).issuer, 'http://localhost:8443');
});

test('an empty environment variable counts as unset', () => {
  const c = loadConfig([], { PORT: '', TESSERA_COOKIE_SECURE: '', TESSERA_SERVICE_KEYS: '', TESSERA_ISSUER: '' });
  assert.equal(c.port, 3000);
  assert.equal(c.cookieSecure, true);
  assert.deepEqual(c.serviceKeys, []);
  assert.equal(c.issuer, 'http://127.0.0.1:3000');
});

test('unknown flags, positionals, missing and empty flag values are refused', () => {
  const e = refused(['--prot', '3000'], {}, '--prot');
  assert.match(e.message, /--port/, 'lists the accepted flags');
  const leaked = refused(['--redis=redis://:hunter2hunter2@x'], {}, '--redis');
  assert.ok(!leaked.message.includes('hunter2'));
  refused(['-p', '1'], {}, '-p');
  refused(['--port'], {}, '--port');
  assert.throws(() => loadConfig(['--port', '1', 'serve-secret-positional'], {}), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.variable, 'argv');
    assert.match(error.message, /only flags/);
    assert.ok(!error.message.includes('serve-secret-positional'), 'a positional is never echoed');
    return true;
  });
  refused(['--port', ''], {}, '--port');
  refused(['--host', ''], {}, '--host');
  refused(['--data-dir='], {}, '--data-dir');
});

test('PORT: an integer 1-65535', () => {
  for (const bad of ['0', '65536', '-1', '80.5', '1e3', '0x50', 'http', ' ', '99999999999999999999']) {
    const e = refused([], { PORT: bad }, 'PORT');
    assert.match(e.message, /1 to 65535/);
  }
  assert.equal(loadConfig([], { PORT: ' 65535 ' }).port, 65535);
  assert.equal(loadConfig([], { PORT: '1' }).port, 1);
  refused(['--port', '70000'], { PORT: '80' }, '--port');
});

test('HOST: non-empty, no whitespace', () => {
  refused([], { HOST: '   ' }, 'HOST');
  refused([], { HOST: 'my host' }, 'HOST');
});

test("durations: whole seconds >= 1 (the reuse leeway too), at most the library's own maximum", () => {
  const max = { TESSERA_ACCESS_TOKEN_TTL: 86_400, TESSERA_SESSION_IDLE_TIMEOUT: 31_536_000, TESSERA_SESSION_ABSOLUTE_TIMEOUT: 31_536_000, TESSERA_REFRESH_REUSE_LEEWAY: 300 };
  for (const [name, most] of Object.entries(max)) {
    for (const bad of ['0', '-5', '1.5', '15m', 'abc', String(most + 1)]) {
      const e = refused([], { [name]: bad }, name);
      assert.match(e.message, /seconds/);
    }
  }
  assert.equal(loadConfig([], { TESSERA_REFRESH_REUSE_LEEWAY: '300' }).refreshReuseLeewaySeconds, 300);
  assert.equal(loadConfig([], { TESSERA_REFRESH_REUSE_LEEWAY: '1' }).refreshReuseLeewaySeconds, 1);
});

/** The library's resolved options for `options`, on a memory store (createTessera checks every field). */
async function resolved(options: Omit<TesseraOptions, 'store'>): Promise<ResolvedOptions> {
  const store = createMemoryStore();
  await store.migrate();
  const auth = await createTessera({ ...options, store, passwordHasher: createArgon2Hasher({ memoryKiB: 1024, timeCost: 1 }) });
  try {
    return auth.options;
  } finally {
    await auth.close();
  }
}

test('every value the configuration accepts, the library accepts: the largest and smallest of each range', async () => {
  const extremes: Array<Record<string, string>> = [
    { TESSERA_ACCESS_TOKEN_TTL: '86400', TESSERA_SESSION_IDLE_TIMEOUT: '31536000', TESSERA_SESSION_ABSOLUTE_TIMEOUT: '31536000', TESSERA_REFRESH_REUSE_LEEWAY: '300', TESSERA_CLOCK_TOLERANCE: '30', TESSERA_LOGIN_MAX_FAILURES: '1000000', TESSERA_PASSWORD_MIN_LENGTH: '64', TESSERA_SESSION_CACHE: '60', TESSERA_PASSWORD_RESET_TTL: '86400', TESSERA_EMAIL_VERIFICATION_TTL: '604800' },
    { TESSERA_ACCESS_TOKEN_TTL: '1', TESSERA_SESSION_IDLE_TIMEOUT: '1', TESSERA_SESSION_ABSOLUTE_TIMEOUT: '1', TESSERA_REFRESH_REUSE_LEEWAY: '1', TESSERA_CLOCK_TOLERANCE: '0', TESSERA_LOGIN_MAX_FAILURES: '1', TESSERA_PASSWORD_MIN_LENGTH: '8', TESSERA_SESSION_CACHE: '0', TESSERA_PASSWORD_RESET_TTL: '60', TESSERA_EMAIL_VERIFICATION_TTL: '60' },
  ];
  for (const env of extremes) {
    const { store: _, ...options } = tesseraOptionsFrom(loadConfig([], env), {} as Store, undefined, { send: async () => {} });
    await assert.doesNotReject(resolved(options), JSON.stringify(env));
  }
});

test('each setting reaches the library: a value unlike every default, field by field', async () => {
  const env = {
    TESSERA_ISSUER: 'https://auth.example.com', TESSERA_AUDIENCE: 'https://api.example.com', TESSERA_ACCESS_TOKEN_TTL: '300',
    TESSERA_REFRESH_REUSE_LEEWAY: '3', TESSERA_SESSION_IDLE_TIMEOUT: '3600', TESSERA_SESSION_ABSOLUTE_TIMEOUT: '7200',
    TESSERA_SESSION_CACHE: '2', TESSERA_JWT_ALG: 'RS256', TESSERA_CLOCK_TOLERANCE: '0', TESSERA_COOKIE_SECURE: 'false',
    TESSERA_TRUSTED_ORIGINS: 'https://app.example.com', TESSERA_LOGIN_MAX_FAILURES: '7', TESSERA_PASSWORD_MIN_LENGTH: '12',
    TESSERA_REQUIRE_VERIFIED_EMAIL: 'true', TESSERA_PASSWORD_RESET_TTL: '600', TESSERA_EMAIL_VERIFICATION_TTL: '1200',
  };
  const mailer = { send: async () => {} };
  const { store: _, ...options } = tesseraOptionsFrom(loadConfig([], env), {} as Store, undefined, mailer);
  const o = await resolved(options);
  assert.deepEqual(
    [o.issuer, o.audience, o.accessTokenTtlSeconds, o.refreshReuseLeewaySeconds, o.sessionIdleTimeoutSeconds, o.sessionAbsoluteTimeoutSeconds,
      o.sessionCacheMaxAgeMs, o.jwtAlgorithm, o.clockToleranceSeconds, o.cookieSecure, o.trustedOrigins, o.loginMaxFailures, o.passwordMinLength,
      o.requireVerifiedEmail, o.passwordResetTtlSeconds, o.emailVerificationTtlSeconds, o.mailer],
    ['https://auth.example.com', 'https://api.example.com', 300, 3, 3600, 7200, 2000, 'RS256', 0, false, ['https://app.example.com'], 7, 12, true, 600, 1200, mailer],
  );
});

test('the absolute timeout must be at least the idle timeout', () => {
  const e = refused([], { TESSERA_SESSION_IDLE_TIMEOUT: '7200', TESSERA_SESSION_ABSOLUTE_TIMEOUT: '3600' }, 'TESSERA_SESSION_ABSOLUTE_TIMEOUT');
  assert.match(e.message, /TESSERA_SESSION_IDLE_TIMEOUT/);
  refused([], { TESSERA_SESSION_IDLE_TIMEOUT: '3000000' }, 'TESSERA_SESSION_ABSOLUTE_TIMEOUT');
});

test('TESSERA_JWT_ALG: one of four, case-sensitive; none is never accepted', () => {
  for (const alg of ['EdDSA', 'ES256', 'RS256', 'HS256']) assert.equal(loadConfig([], { TESSERA_JWT_ALG: alg }).jwtAlgorithm, alg);
  for (const bad of ['none', 'eddsa', 'HS512', 'RS256,HS256']) {
    const e = refused([], { TESSERA_JWT_ALG: bad }, 'TESSERA_JWT_ALG');
    assert.match(e.message, /EdDSA, ES256, RS256, HS256/);
  }
});

test('TESSERA_SQLITE_CACHE_MB: 128 MiB by default, 1 to 65536 whole MiB', () => {
  assert.equal(loadConfig([], {}).sqliteCacheMiB, 128);
  assert.equal(loadConfig([], { TESSERA_SQLITE_CACHE_MB: '1' }).sqliteCacheMiB, 1);
  assert.equal(loadConfig([], { TESSERA_SQLITE_CACHE_MB: '65536' }).sqliteCacheMiB, 65536);
  for (const bad of ['0', '65537', '1.5', '-8', '64MB']) refused([], { TESSERA_SQLITE_CACHE_MB: bad }, 'TESSERA_SQLITE_CACHE_MB');
});

test('TESSERA_SESSION_CACHE: off by default, 0 to 60 seconds', () => {
  assert.equal(loadConfig([], {}).sessionCacheSeconds, 0);
  assert.equal(loadConfig([], { TESSERA_SESSION_CACHE: '1' }).sessionCacheSeconds, 1);
  assert.equal(loadConfig([], { TESSERA_SESSION_CACHE: '60' }).sessionCacheSeconds, 60);
  for (const bad of ['61', '-1', '0.5', 'on']) refused([], { TESSERA_SESSION_CACHE: bad }, 'TESSERA_SESSION_CACHE');
  // It reaches the library as milliseconds (0 by default: a store read on every request).
  const store = {} as Store;
  assert.equal(tesseraOptionsFrom(loadConfig([], {}), store, undefined, {} as Mailer).sessionCacheMaxAgeMs, 0);
  assert.equal(tesseraOptionsFrom(loadConfig([], { TESSERA_SESSION_CACHE: '2' }), store, undefined, {} as Mailer).sessionCacheMaxAgeMs, 2000);
});

test('TESSERA_CLOCK_TOLERANCE: 0 to 30', () => {
  assert.equal(loadConfig([], { TESSERA_CLOCK_TOLERANCE: '30' }).clockToleranceSeconds, 30);
  for (const bad of ['31', '-1', '2.5']) refused([], { TESSERA_CLOCK_TOLERANCE: bad }, 'TESSERA_CLOCK_TOLERANCE');
});

test('TESSERA_COOKIE_SECURE: exactly true or false', () => {
  assert.equal(loadConfig([], { TESSERA_COOKIE_SECURE: 'true' }).cookieSecure, true);
  for (const bad of ['1', '0', 'yes', 'TRUE', 'off']) {
    const e = refused([], { TESSERA_COOKIE_SECURE: bad }, 'TESSERA_COOKIE_SECURE');
    assert.match(e.message, /true, false/);
  }
});

test('TESSERA_TRUST_PROXY: false or a hop count; true is refused with advice', () => {
  assert.equal(loadConfig([], { TESSERA_TRUST_PROXY: 'false' }).trustProxyHops, 0);
  assert.equal(loadConfig([], { TESSERA_TRUST_PROXY: '0' }).trustProxyHops, 0);
  assert.equal(loadConfig([], { TESSERA_TRUST_PROXY: '1' }).trustProxyHops, 1);
  const e = refused([], { TESSERA_TRUST_PROXY: 'true' }, 'TESSERA_TRUST_PROXY');
  assert.match(e.message, /number of proxy hops/);
  for (const bad of ['-1', '33', 'yes', '1.5', '10.0.0.0/8']) refused([], { TESSERA_TRUST_PROXY: bad }, 'TESSERA_TRUST_PROXY');
});

test('TESSERA_LOGIN_MAX_FAILURES >= 1; TESSERA_PASSWORD_MIN_LENGTH 8-64', () => {
  refused([], { TESSERA_LOGIN_MAX_FAILURES: '0' }, 'TESSERA_LOGIN_MAX_FAILURES');
  assert.equal(loadConfig([], { TESSERA_LOGIN_MAX_FAILURES: '1' }).loginMaxFailures, 1);
  for (const bad of ['7', '65', 'fifteen']) {
    const e = refused([], { TESSERA_PASSWORD_MIN_LENGTH: bad }, 'TESSERA_PASSWORD_MIN_LENGTH');
    assert.match(e.message, /8 to 64/);
  }
  assert.equal(loadConfig([], { TESSERA_PASSWORD_MIN_LENGTH: '64' }).passwordMinLength, 64);
});

test('TESSERA_LOG_LEVEL: a pino level or silent', () => {
  for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) {
    assert.equal(loadConfig([], { TESSERA_LOG_LEVEL: level }).logLevel, level);
  }
  const e = refused([], { TESSERA_LOG_LEVEL: 'verbose' }, 'TESSERA_LOG_LEVEL');
  assert.match(e.message, /fatal, error, warn, info, debug, trace, silent/);
});

test('TESSERA_ACCESS_LOG: true (the default) or false', () => {
  assert.equal(loadConfig([], {}).accessLog, true);
  assert.equal(loadConfig([], { TESSERA_ACCESS_LOG: 'true' }).accessLog, true);
  assert.equal(loadConfig([], { TESSERA_ACCESS_LOG: 'false' }).accessLog, false);
  for (const bad of ['off', '0', 'no', 'TRUE ']) refused([], { TESSERA_ACCESS_LOG: bad }, 'TESSERA_ACCESS_LOG');
});

test('TESSERA_TRUSTED_ORIGINS: http(s) origins only, normalised and deduplicated', () => {
  const c = loadConfig([], { TESSERA_TRUSTED_ORIGINS: 'HTTPS://App.Example.com:443,https://app.example.com' });
  assert.deepEqual(c.trustedOrigins, ['https://app.example.com']);
  for (const bad of ['app.example.com', 'https://app.example.com/path', 'https://*.example.com', 'ftp://x.example.com', 'null', 'https://a.example.com?x=1', 'https://u:p@a.example.com', 'https://a.example.com#f']) {
    const e = refused([], { TESSERA_TRUSTED_ORIGINS: `https://ok.example.com,${bad}` }, 'TESSERA_TRUSTED_ORIGINS');
    assert.match(e.message, /origin/);
  }
});

test('TESSERA_SERVICE_KEYS: each at least 32 characters; never echoed', () => {
  const short = 'tooshort-secret-value';
  const e = refused([], { TESSERA_SERVICE_KEYS: `${KEY_A},${short}` }, 'TESSERA_SERVICE_KEYS');
  assert.ok(!e.message.includes(short));
  assert.ok(!e.message.includes(KEY_A));
  assert.match(e.message, /32/);
  const spaced = `${'s'.repeat(20)} ${'t'.repeat(20)}`;
  const e2 = refused([], { TESSERA_SERVICE_KEYS: spaced }, 'TESSERA_SERVICE_KEYS');
  assert.ok(!e2.message.includes('s'.repeat(20)));
});

test('database and Redis URLs: scheme checked, value never echoed', () => {
  const pg = 'mysql://root:supersecretpw@db/x';
  const e = refused([], { TESSERA_DATABASE_URL: pg }, 'TESSERA_DATABASE_URL');
  assert.ok(!e.message.includes('supersecretpw'));
  assert.match(e.message, /postgres:\/\/ or postgresql:\/\//);
  const r = refused(['--redis-url', 'http://:supersecretpw@r'], {}, '--redis-url');
  assert.ok(!r.message.includes('supersecretpw'));
  assert.match(r.message, /redis:\/\/ or rediss:\/\//);
  refused([], { TESSERA_REDIS_URL: 'not a url supersecretpw' }, 'TESSERA_REDIS_URL');
  assert.equal(loadConfig([], { TESSERA_DATABASE_URL: 'postgresql:///tessera?host=/var/run/postgresql' }).databaseUrl, 'postgresql:///tessera?host=/var/run/postgresql');
});

test('TESSERA_ISSUER: an http(s) URL kept exactly as given', () => {
  assert.equal(loadConfig([], { TESSERA_ISSUER: 'https://auth.example.com/' }).issuer, 'https://auth.example.com/');
  assert.equal(loadConfig([], { TESSERA_ISSUER: 'https://example.com/tenants/a' }).issuer, 'https://example.com/tenants/a');
  for (const bad of ['auth.example.com', 'ftp://x', 'https://x?q=1', 'https://x#f', ' https://x', 'https://u:p@x', 'http:/x', 'https://x/a b']) {
    refused([], { TESSERA_ISSUER: bad }, 'TESSERA_ISSUER');
  }
  refused(['--issuer', 'nope'], {}, '--issuer');
  refused([], { TESSERA_AUDIENCE: 'a b' }, 'TESSERA_AUDIENCE');
});

test('describeConfig: every spec variable, with flag, default and description', () => {
  const rows = describeConfig();
  assert.deepEqual(rows.map((r) => r.env), DOCUMENTED_VARIABLES);
  for (const row of rows) {
    assert.ok(row.default.length > 0, row.env);
    assert.ok(row.description.length > 10, row.env);
  }
  const flags = Object.fromEntries(rows.map((r) => [r.env, r.flag]));
  assert.equal(flags.PORT, '--port');
  assert.equal(flags.TESSERA_DATA_DIR, '--data-dir');
  assert.equal(flags.TESSERA_ISSUER, '--issuer');
  assert.equal(flags.TESSERA_AUDIENCE, undefined);
  // Each documented flag is accepted by loadConfig.
  for (const row of rows) {
    if (row.flag === undefined) continue;
    const value = row.env === 'PORT' ? '1234' : row.env === 'TESSERA_DATABASE_URL' ? 'postgres://h/d' : row.env === 'TESSERA_REDIS_URL' ? 'redis://h' : row.env === 'TESSERA_ISSUER' ? 'https://i.example' : 'x';
    assert.doesNotThrow(() => loadConfig([row.flag!, value], {}), row.flag);
  }
  // Defaults shown match CONFIG_DEFAULTS.
  assert.equal(flags.PORT && rows.find((r) => r.env === 'PORT')!.default, String(CONFIG_DEFAULTS.port));
  assert.equal(rows.find((r) => r.env === 'TESSERA_PASSWORD_MIN_LENGTH')!.default, '15');
});

test('TESSERA_DATABASE_SCHEMA and TESSERA_REDIS_PREFIX: validated, trimmed, defaults', () => {
  const c = loadConfig([], { TESSERA_DATABASE_SCHEMA: ' tenant_a1 ', TESSERA_REDIS_PREFIX: ' app:auth: ' });
  assert.equal(c.databaseSchema, 'tenant_a1');
  assert.equal(c.redisPrefix, 'app:auth:');
  assert.equal(loadConfig([], { TESSERA_DATABASE_SCHEMA: 'a'.repeat(63) }).databaseSchema, 'a'.repeat(63));
  for (const bad of ['Tessera', '1abc', 'pg_catalog', 'a-b', 'a'.repeat(64), 'a b', '"x"']) {
    refused([], { TESSERA_DATABASE_SCHEMA: bad }, 'TESSERA_DATABASE_SCHEMA');
  }
  for (const bad of ['a{b', 'a}', 'a b', 'x'.repeat(65), 'caf\u00e9:', 'a\tb']) {
    refused([], { TESSERA_REDIS_PREFIX: bad }, 'TESSERA_REDIS_PREFIX');
  }
});
