// The server's public settings (GET /ui/config.json): issuer, audience, lifetimes, cookie
// names, whether the lab may offer a short benchmark. Nothing secret: every value is also
// visible in tokens, cookies or the docs.

const DEFAULTS = Object.freeze({
  issuer: null,
  audience: null,
  clientId: 'tessera',
  jwtAlgorithm: 'EdDSA',
  accessTokenTtlSeconds: 900,
  refreshReuseLeewaySeconds: 10,
  sessionIdleTimeoutSeconds: 86400,
  sessionAbsoluteTimeoutSeconds: 2592000,
  clockToleranceSeconds: 5,
  passwordMinLength: 15,
  passwordMaxLength: 1024,
  cookieNames: Object.freeze({ session: '__Host-tessera_session', refresh: '__Secure-tessera_refresh' }),
  // The lab's short benchmark (POST /admin/bench): offered only when the server has admin keys.
  shortBench: Object.freeze({ enabled: false, defaultDurationSeconds: 2, maxDurationSeconds: 5 }),
});

let loading = null;

function pick(data, name, type, defaults) {
  return data !== null && typeof data === 'object' && typeof data[name] === type ? data[name] : (defaults || DEFAULTS)[name];
}

function member(data, name) {
  return data !== null && typeof data === 'object' && data[name] !== null && typeof data[name] === 'object' ? data[name] : {};
}

function merge(data) {
  const names = member(data, 'cookieNames');
  const bench = member(data, 'shortBench');
  return Object.freeze({
    issuer: pick(data, 'issuer', 'string'),
    audience: pick(data, 'audience', 'string'),
    clientId: pick(data, 'clientId', 'string'),
    jwtAlgorithm: pick(data, 'jwtAlgorithm', 'string'),
    accessTokenTtlSeconds: pick(data, 'accessTokenTtlSeconds', 'number'),
    refreshReuseLeewaySeconds: pick(data, 'refreshReuseLeewaySeconds', 'number'),
    sessionIdleTimeoutSeconds: pick(data, 'sessionIdleTimeoutSeconds', 'number'),
    sessionAbsoluteTimeoutSeconds: pick(data, 'sessionAbsoluteTimeoutSeconds', 'number'),
    clockToleranceSeconds: pick(data, 'clockToleranceSeconds', 'number'),
    passwordMinLength: pick(data, 'passwordMinLength', 'number'),
    passwordMaxLength: pick(data, 'passwordMaxLength', 'number'),
    cookieNames: Object.freeze({
      session: typeof names.session === 'string' ? names.session : DEFAULTS.cookieNames.session,
      refresh: typeof names.refresh === 'string' ? names.refresh : DEFAULTS.cookieNames.refresh,
    }),
    shortBench: Object.freeze({
      enabled: bench.enabled === true,
      defaultDurationSeconds: pick(bench, 'defaultDurationSeconds', 'number', DEFAULTS.shortBench),
      maxDurationSeconds: pick(bench, 'maxDurationSeconds', 'number', DEFAULTS.shortBench),
    }),
  });
}

/** The settings, fetched once; the defaults of the spec when the endpoint cannot be read. */
export function loadConfig() {
  if (loading === null) {
    loading = fetch('/ui/config.json', { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then((response) => (response.ok ? response.json() : null))
      .catch(() => null)
      .then(merge);
  }
  return loading;
}
