import { createArgon2Hasher } from '../../packages/tessera/src/password/password-hasher.js';

/**
 * argon2id at the OWASP defaults (m=19 MiB, t=2, p=1): CPU time of one hash (process CPU
 * time over sequential hashes: the work runs on a worker thread, which process.cpuUsage
 * counts), and the logins/s it allows on this machine's cores. Also what the cores really
 * give: hashes per second with one hash per core at once (on hyperthreads, or with the 19 MiB
 * per hash fighting over one cache, each concurrent hash costs more CPU than a lone one).
 */

export interface Argon2Result {
  hashes: number;
  cpuMsPerHash: number;
  wallMsPerHash: number;
  cores: number;
  /** cores / CPU time of one hash: the physical ceiling of password sign-ins per second. */
  ceilingLoginsPerSecond: number;
  /** Hashes per second with `cores` hashes in flight at once, nothing else running. */
  concurrentHashesPerSecond: number;
}

export async function runArgon2Benchmark(hashes: number, cores: number): Promise<Argon2Result> {
  const hasher = createArgon2Hasher({ concurrency: 1 });
  await hasher.hash('warm-up password for argon2'); // first call loads the native module
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < hashes; i++) await hasher.hash(`bench password number ${i}`);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMsPerHash = (cpu.user + cpu.system) / 1000 / hashes;

  const parallel = createArgon2Hasher({ concurrency: cores });
  const batch = (round: number) => Promise.all(Array.from({ length: cores }, (_, i) => parallel.hash(`bench password ${round}/${i}`)));
  await batch(-1);
  const rounds = Math.max(1, Math.ceil(hashes / cores));
  const t1 = performance.now();
  for (let round = 0; round < rounds; round++) await batch(round);
  const concurrentHashesPerSecond = (rounds * cores * 1000) / (performance.now() - t1);
  return { hashes, cpuMsPerHash, wallMsPerHash: wallMs / hashes, cores, ceilingLoginsPerSecond: (cores * 1000) / cpuMsPerHash, concurrentHashesPerSecond };
}
