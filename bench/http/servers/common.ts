import type { FastifyInstance } from 'fastify';

/**
 * Shared by the peer servers of the HTTP benchmarks. Each server is a child process of the
 * harness: it listens on 127.0.0.1 port 0 and prints `{"port":N}` as its first stdout line.
 * `GET /auth/me` answers BENCH_BODY (the size of Tessera's answer) when the request carries
 * a valid credential, 401 otherwise; `GET /__bench/login` hands out a credential, either as
 * a Set-Cookie or as `{"headers":{…}}`.
 */

export const BODY = process.env.BENCH_BODY ?? JSON.stringify({ user: { id: 'x', email: 'x@example.com' }, auth: { mode: 'session' } });
export const UNAUTHORIZED = JSON.stringify({ error: { code: 'unauthorized', message: 'Authentication required.' } });

export async function listenFastify(app: FastifyInstance): Promise<void> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  announce(typeof address === 'object' && address !== null ? address.port : 0);
}

export function announce(port: number): void {
  process.stdout.write(`${JSON.stringify({ port })}\n`);
}

/** The value of cookie `name` in a Cookie header, without a parser dependency. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}
