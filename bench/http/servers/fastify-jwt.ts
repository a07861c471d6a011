import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import fastifyJwt from '@fastify/jwt';
import { BODY, listenFastify } from './common.js';

// @fastify/jwt as its README shows it: the plugin with a secret (HS256) or a PEM key pair
// (EdDSA, ES256), and `await request.jwtVerify()` in an onRequest hook. Claims of Tessera's
// shape; issuer and audience checked like Tessera checks them. Argument: HS256 | EdDSA | ES256.

const alg = process.argv[2] ?? 'HS256';
const issuer = 'http://127.0.0.1';

function secretFor(algorithm: string): string | { private: string; public: string } {
  if (algorithm === 'HS256') return randomBytes(32).toString('hex');
  const pair =
    algorithm === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : algorithm === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : null;
  if (pair === null) throw new Error(`unsupported algorithm ${algorithm}`);
  return {
    private: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    public: pair.publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

const app = Fastify();
await app.register(fastifyJwt, {
  secret: secretFor(alg),
  sign: { algorithm: alg as 'HS256', iss: issuer, aud: issuer, expiresIn: '15m' },
  verify: { allowedIss: issuer, allowedAud: issuer },
});

app.get('/auth/me', {
  onRequest: async (request, reply) => {
    try {
      await request.jwtVerify();
    } catch (error) {
      reply.send(error);
    }
  },
  handler: (_request, reply) => {
    reply.type('application/json').send(BODY);
  },
});
app.get('/__bench/login', (_request, reply) => {
  const id = (): string => randomBytes(16).toString('base64url');
  const token = app.jwt.sign({ sub: id(), sid: id(), client_id: 'tessera', jti: id() });
  reply.send({ headers: { authorization: `Bearer ${token}` } });
});
await listenFastify(app);
