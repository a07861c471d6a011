import type { Argon2Result } from '../micro/argon2.js';
import type { JwtResults } from '../micro/jwt.js';
import type { ScaleResult } from '../micro/scale.js';
import type { StoreResult } from '../micro/sessions.js';
import type { LoginResult } from '../http/logins.js';
import type { ScenarioSummary } from '../http/rounds.js';
import type { GeneratorName } from './load.js';
import type { MachineInfo } from './machine.js';

/** Everything one `npm run bench` measured; bench/results.json holds it plus `lab` and `targets`. */
export interface BenchResults {
  machine: MachineInfo;
  smoke: boolean;
  settings: {
    generator: GeneratorName | null;
    pinned: boolean;
    durationS: number;
    warmupS: number;
    rounds: number;
    connections: number;
    distinctTokens: number;
  };
  micro?: {
    jwt: JwtResults;
    sessions: StoreResult[];
    scale: ScaleResult | { error: string };
  };
  http?: {
    scenarios: ScenarioSummary[];
    /** Bare Fastify measured again in the Redis rows' own phase: their ratios are to it. */
    redisPhaseBare?: ScenarioSummary | null;
    /** After logout with the access token: the same token's next request (401 expected). */
    revocationStatus: number | null;
    logins: LoginResult | { error: string };
  };
  /** argon2id at the OWASP defaults, in-process (always measured: the login target needs it). */
  argon2: Argon2Result;
}

export interface TargetLine {
  target: string;
  measured: string;
  status: 'met' | 'not met' | 'not measured';
}
