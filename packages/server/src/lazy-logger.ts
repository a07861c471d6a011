import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level, Logger } from 'pino';

/** Pino's own `child` method (called with the logger to derive from as `this`). */
type PinoChild = (this: Logger, bindings: Bindings, options?: ChildLoggerOptions) => Logger;

/**
 * A request's logger that becomes a real pino child only when a line is actually written.
 * Fastify makes a child logger for every request (to bind its id); with redaction that costs
 * more than authenticating the request does (measured: 16–19 % of CPU under load, at any
 * level, in bench/), while most requests never log at all.
 */
class LazyChildLogger {
  readonly #parent: Logger;
  readonly #pinoChild: PinoChild;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions | undefined;
  #child: Logger | undefined;

  constructor(parent: Logger, pinoChild: PinoChild, bindings: Bindings, options?: ChildLoggerOptions) {
    this.#parent = parent;
    this.#pinoChild = pinoChild;
    this.#bindings = bindings;
    this.#options = options;
  }

  get level(): string {
    return this.#parent.level;
  }

  #real(): Logger {
    this.#child ??= this.#pinoChild.call(this.#parent, this.#bindings, this.#options);
    return this.#child;
  }

  #write(level: Level, args: unknown[]): void {
    if (!this.#parent.isLevelEnabled(level)) return;
    (this.#real()[level] as (...a: unknown[]) => void)(...args);
  }

  fatal(...args: unknown[]): void { this.#write('fatal', args); }
  error(...args: unknown[]): void { this.#write('error', args); }
  warn(...args: unknown[]): void { this.#write('warn', args); }
  info(...args: unknown[]): void { this.#write('info', args); }
  debug(...args: unknown[]): void { this.#write('debug', args); }
  trace(...args: unknown[]): void { this.#write('trace', args); }
  silent(): void {}

  isLevelEnabled(level: string): boolean {
    return this.#parent.isLevelEnabled(level);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.#real().child(bindings, options);
  }
}

/**
 * Makes `logger.child` hand out {@link LazyChildLogger}s, and returns the logger as Fastify's
 * `loggerInstance`. Through `child` itself, not Fastify's `childLoggerFactory` option: with a
 * factory of its own, Fastify checks each request's child for seven methods (an array and a
 * filter per request: with the factory, a seen-token `GET /auth/me` of `tessera serve` took
 * 92,100 instructions in `npm run bench:instructions`, and 89,300 without).
 */
export function withLazyChildren(logger: Logger): FastifyBaseLogger {
  const pinoChild = logger.child as unknown as PinoChild;
  // Pino's children inherit from their parent, this override included, so each logger derived
  // from this one hands out lazy children of itself too (Fastify asks a child of it, not it).
  logger.child = function child(this: Logger, bindings: Bindings, options?: ChildLoggerOptions) {
    return new LazyChildLogger(this, pinoChild, bindings, options);
  } as unknown as Logger['child'];
  return logger as unknown as FastifyBaseLogger;
}
