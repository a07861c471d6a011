import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** What the numbers were measured on. */
export interface MachineInfo {
  date: string;
  nproc: number;
  cpuModel: string;
  node: string;
  platform: string;
  /** Load average when the run started: other work on the machine makes numbers noisy. */
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  let nproc = availableParallelism();
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc;
  } catch {
    // nproc missing: keep availableParallelism().
  }
  let cpuModel = 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line !== undefined) cpuModel = line.split(':').slice(1).join(':').trim();
  } catch {
    // Not Linux.
  }
  let loadAverage: number[] = [];
  try {
    loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  } catch {
    // Not Linux.
  }
  return { date: new Date().toISOString(), nproc, cpuModel, node: process.version, platform: `${process.platform}-${process.arch}`, loadAverage };
}
