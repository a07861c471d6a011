// Three instances of a new deployment started at once (a rollout, a `docker compose up`) must
// agree on the signing key: a token signed by one is accepted by the others at once.
//
// Each instance creates the first key when it finds none that signs, with no lock: instances
// that start together may each create one. An instance whose ring lacks a peer's key refuses
// that peer's tokens until its periodic key reload (30 s), since the reload on an unknown kid
// is on cooldown for 10 s after start-up. The race is timing-dependent: the test starts the
// deployment up to ROUNDS times and fails at the first round that shows it.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cleanUpServers } from '../robustness/spawn-server.js';
import type { Deployment } from './harness.js';
import { createDeployment, figure, me, register, sharedServicesSkip, signIn } from './harness.js';

const skip = await sharedServicesSkip();
const ROUNDS = 3;

describe('a new deployment of three instances started at once', { skip, timeout: 90_000 }, () => {
  const deployments: Deployment[] = [];

  after(async () => {
    try {
      for (const d of deployments) await d.cleanUp();
    } finally {
      await cleanUpServers();
    }
  });

  it('has one signing key, and every instance accepts the tokens of every other', async () => {
    const outcomes: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const d = await createDeployment('cold');
      deployments.push(d);
      const servers = await Promise.all([d.start(), d.start(), d.start()]);
      const { rows } = await d.pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${d.schema}".signing_keys`);
      const keyCount = Number(rows[0]!.n);
      await register(servers[0]!.baseUrl, 'cold@start.test');
      const refused: string[] = [];
      for (const [i, signer] of servers.entries()) {
        const credential = await signIn(signer.baseUrl, 'cold@start.test', 'jwt');
        for (const [j, verifier] of servers.entries()) {
          const r = await me(verifier.baseUrl, credential);
          if (r.status !== 200) refused.push(`token of #${i + 1} refused by #${j + 1} (${r.status})`);
        }
      }
      outcomes.push(`round ${round}: ${keyCount} signing key(s), ${refused.length} refusal(s)`);
      await d.cleanUp();
      deployments.pop();
      if (keyCount !== 1 || refused.length > 0) {
        figure(`cold-start: ${outcomes.join('; ')}`);
        assert.fail(`three instances started at once created ${keyCount} first signing keys; ${refused.join('; ') || 'no refusal seen yet'}`);
      }
    }
    figure(`cold-start: ${outcomes.join('; ')}`);
  });
});
