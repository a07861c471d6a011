import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Counting a node process's instructions with valgrind's callgrind, in rounds the parent
 * controls (bench/instructions.ts, bench/verify-instructions.ts).
 */

/**
 * The command line that runs node under callgrind with counting off until asked, dumps in
 * `outDir`. `--single-threaded`: no background GC or compiler threads, whose work would land
 * in a round at random. With `perfMap`, node writes the map that names JIT code in a profile
 * (see callgrind-symbols.ts).
 */
export function callgrindNode(outDir: string, perfMap: boolean): string[] {
  return [
    'valgrind', '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${outDir}/callgrind.%p`,
    process.execPath, '--single-threaded', ...(perfMap ? ['--perf-basic-prof', '--interpreted-frames-native-stack'] : []),
  ];
}

/**
 * The environment for a process under callgrind: vgdb finds it by a name that holds the host
 * name, which valgrind reads from $HOST, so the process and callgrind_control must agree
 * (`tessera serve` also listens on HOST).
 */
export const CALLGRIND_HOST = '127.0.0.1';

function control(pid: number, ...command: string[]): void {
  execFileSync('callgrind_control', [...command, String(pid)], { env: { ...process.env, HOST: CALLGRIND_HOST }, stdio: 'ignore' });
}

/**
 * `rounds` counts of `work` in process `pid`: counters zeroed, counting on, `work`, counting
 * off, dumped; each round's instructions divided by `per`. Also the dump of the lowest round.
 */
export async function countRounds(pid: number, outDir: string, rounds: number, per: number, work: () => Promise<unknown>): Promise<{ counts: number[]; lowestDump: string }> {
  const counts: number[] = [];
  let lowestDump = '';
  for (let round = 0; round < rounds; round++) {
    control(pid, '-z');
    control(pid, '-i', 'on');
    await work();
    control(pid, '-i', 'off');
    control(pid, '-d');
    const dumps = readdirSync(outDir).filter((f) => f.startsWith(`callgrind.${pid}.`) && /\.\d+$/.test(f));
    const last = dumps.sort((a, b) => Number(a.split('.').at(-1)) - Number(b.split('.').at(-1))).at(-1)!;
    const totals = /^totals: (\d+)$/m.exec(readFileSync(join(outDir, last), 'utf8'));
    if (totals === null) throw new Error(`no totals in ${last}`);
    counts.push(Number(totals[1]) / per);
    if (Math.min(...counts) === counts.at(-1)) lowestDump = join(outDir, last);
  }
  return { counts, lowestDump };
}
