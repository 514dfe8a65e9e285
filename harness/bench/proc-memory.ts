/** Resident memory of another process (VmRSS from /proc/<pid>/status), in MB. */
import { readFileSync } from 'node:fs';
import type { FigureRecorder } from './figure.ts';

export function procRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  const kb = Number(line?.split(/\s+/)[1]);
  if (!Number.isFinite(kb)) throw new Error(`/proc/${pid}/status has no VmRSS line`);
  return kb / 1024;
}

/** One figure per workload: its resident memory now, in a state named by `when` (idle, under load). */
export function recordWorkloadMemory(recorder: FigureRecorder, services: ReadonlyArray<{ name: string; pid: number }>, when: 'idle' | 'load', label: string): void {
  for (const s of services) recorder.record({ id: `memory.${s.name}.${when}`, label: `${s.name} resident memory, ${label}`, unit: 'MB', better: 'lower' }, procRssMb(s.pid));
}
