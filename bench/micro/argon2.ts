import { passwordHasher } from '../lib/built.js';
import { median } from '../lib/timing.js';

const { createArgon2Hasher } = passwordHasher;

/**
 * argon2id at the OWASP defaults (m=19 MiB, t=2, p=1): CPU time of one hash (process CPU
 * time over sequential hashes: the work runs on a worker thread, which process.cpuUsage
 * counts), and the logins/s it allows on this machine's cores. Also what the cores really
 * give: hashes per second with one hash per core at once (on hyperthreads, or with the 19 MiB
 * per hash fighting over one cache, each concurrent hash costs more CPU than a lone one).
 * `hashes` per repeat, medians of {@link REPEATS} repeats.
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

/** Each figure is the median of this many repeats: one short sample once read half the truth. */
const REPEATS = 3;

export async function runArgon2Benchmark(hashes: number, cores: number): Promise<Argon2Result> {
  const hasher = createArgon2Hasher({ concurrency: 1 });
  await hasher.hash('warm-up password for argon2'); // first call loads the native module
  const cpuMs: number[] = [];
  const wallMs: number[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < hashes; i++) await hasher.hash(`bench password number ${repeat}/${i}`);
    wallMs.push((performance.now() - t0) / hashes);
    const cpu = process.cpuUsage(cpu0);
    cpuMs.push((cpu.user + cpu.system) / 1000 / hashes);
  }
  const cpuMsPerHash = median(cpuMs);

  const parallel = createArgon2Hasher({ concurrency: cores });
  const batch = (label: string) => Promise.all(Array.from({ length: cores }, (_, i) => parallel.hash(`bench password ${label}/${i}`)));
  await batch('warm-up');
  const rounds = Math.max(1, Math.ceil(hashes / cores));
  const perSecond: number[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const t1 = performance.now();
    for (let round = 0; round < rounds; round++) await batch(`${repeat}/${round}`);
    perSecond.push((rounds * cores * 1000) / (performance.now() - t1));
  }
  return { hashes, cpuMsPerHash, wallMsPerHash: median(wallMs), cores, ceilingLoginsPerSecond: (cores * 1000) / cpuMsPerHash, concurrentHashesPerSecond: median(perSecond) };
}
