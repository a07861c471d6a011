// Test files that need an external service (PostgreSQL, Redis) probe it once, at load time:
//
//   const skip = await requireService('PostgreSQL', probe, { at: redactUrl(url) })
//   describe('PostgreSQL store', { skip }, () => { … })
//
// Where the service is not reachable the tests are skipped with a visible reason, except under
// CI (`CI=true`), where a missing service is a broken pipeline: the probe's failure is thrown.

/** Options of {@link requireService}. */
export interface RequireServiceOptions {
  /** Where the service was looked for, shown in the reason (a URL without its password). */
  at?: string;
  /** A probe that neither resolves nor rejects within this many milliseconds fails. Default 5000. */
  timeoutMs?: number;
  /** Throw instead of returning a skip reason. Default: `process.env.CI === 'true'`. */
  required?: boolean;
}

/**
 * Runs `probe` (which should connect to the service and make one trivial request). Returns
 * undefined when it succeeds, or a skip reason (`"<name> not reachable at <at>: <error>"`) when
 * it fails or times out. When the service is required (`CI=true` by default), throws instead,
 * so that the test file fails rather than silently skipping.
 */
export async function requireService(
  name: string,
  probe: () => Promise<void>,
  options: RequireServiceOptions = {},
): Promise<string | undefined> {
  const { at, timeoutMs = 5000, required = process.env.CI === 'true' } = options;
  try {
    await withTimeout(Promise.resolve().then(probe), timeoutMs);
    return undefined;
  } catch (error) {
    const reason = `${name} not reachable${at ? ` at ${at}` : ''}: ${describeError(error)}`;
    if (required) throw new Error(`${reason} (CI=true: the tests that need ${name} must run, not skip)`, { cause: error });
    return reason;
  }
}

/** `url` with its password (if any) replaced by `***`; an unparsable URL is returned as `<unparsable URL>`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparsable URL>';
  }
}

/** A one-line description of an error (Node's connection errors are often AggregateErrors with no message). */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    if (error.message) return error.message;
    if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(describeError).join('; ');
    const code = (error as Error & { code?: unknown }).code;
    return typeof code === 'string' ? code : error.name;
  }
  return String(error);
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
