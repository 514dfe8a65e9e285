/**
 * Memory of another process, in MB: resident (VmRSS from /proc/<pid>/status), and what is its
 * own (USS: private pages from /proc/<pid>/smaps_rollup). The difference is mostly the node
 * binary's pages, shared by every workload on the host.
 */
import { readFileSync } from 'node:fs';
import type { FigureRecorder } from './figure.ts';

export function procRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  const kb = Number(line?.split(/\s+/)[1]);
  if (!Number.isFinite(kb)) throw new Error(`/proc/${pid}/status has no VmRSS line`);
  return kb / 1024;
}

export function procUssMb(pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1]);
  const uss = kb('Private_Clean') + kb('Private_Dirty');
  if (!Number.isFinite(uss)) throw new Error(`/proc/${pid}/smaps_rollup has no Private_Clean and Private_Dirty lines`);
  return uss / 1024;
}

/** One figure per workload: its resident memory now, in a state named by `when` (idle, under load). */
export function recordWorkloadMemory(recorder: FigureRecorder, services: ReadonlyArray<{ name: string; pid: number }>, when: 'idle' | 'load', label: string): void {
  for (const s of services) {
    recorder.record({ id: `memory.${s.name}.${when}`, label: `${s.name} resident memory, ${label}`, unit: 'MB', better: 'lower' }, procRssMb(s.pid));
    recorder.record({ id: `memory.${s.name}.${when}.private`, label: `${s.name} private memory (USS), ${label}`, unit: 'MB', better: 'lower' }, procUssMb(s.pid));
  }
}
