/** CPU time of another process so far (user + system, from /proc/<pid>/stat), in microseconds. */
import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_S = 100;

export function procCpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S) * 1e6;
}
