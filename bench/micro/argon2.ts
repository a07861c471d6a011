import { createArgon2Hasher } from '../../packages/tessera/src/password/password-hasher.js';

/**
 * argon2id at the OWASP defaults (m=19 MiB, t=2, p=1): CPU time of one hash (process CPU
 * time over sequential hashes: the work runs on libuv's threadpool, which process.cpuUsage
 * counts), and the logins/s it allows on this machine's cores.
 */

export interface Argon2Result {
  hashes: number;
  cpuMsPerHash: number;
  wallMsPerHash: number;
  cores: number;
  /** cores / CPU time of one hash: the physical ceiling of password sign-ins per second. */
  ceilingLoginsPerSecond: number;
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
  return { hashes, cpuMsPerHash, wallMsPerHash: wallMs / hashes, cores, ceilingLoginsPerSecond: (cores * 1000) / cpuMsPerHash };
}
