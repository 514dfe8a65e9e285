/**
 * A running workload process as the launcher controls it: one it spawned
 * (a child, reaped by us) or one it adopted from a state folder (started by an
 * earlier `meshgate up`, known by pid and checked against its command line).
 * Stopping waits until the process is really gone, escalating to SIGKILL.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { SHUTDOWN_BUDGET_MS } from '../../services/kit/workload/process.ts';
import { isRunning } from './process-state.ts';

/**
 * How long a workload gets to shut down cleanly before SIGKILL: its own shutdown budget and a
 * margin for a loaded machine, so a workload that exits on its budget is never counted as forced.
 */
export const STOP_GRACE_MS = SHUTDOWN_BUDGET_MS + 2000;
/** How long a SIGKILLed process may take to disappear before we give up saying so. */
const KILL_WAIT_MS = 5000;

export interface StopOutcome {
  pid: number;
  /** It was already gone. */
  wasRunning: boolean;
  /** It was still running STOP_GRACE_MS after SIGTERM and was killed. */
  forced: boolean;
}

export interface WorkloadProcess {
  readonly pid: number;
  running(): boolean;
  signal(signal: NodeJS.Signals): void;
  stop(): Promise<StopOutcome>;
}

/** Says whether an argument of a command line is the entry point a process must run to be ours. */
export type EntryCheck = (arg: string) => boolean;

/** The process with this pid runs this workload's entry point (a recycled pid must not be mistaken for ours). */
export function runsWorkload(pid: number, isEntry: EntryCheck): boolean {
  if (!isRunning(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some(isEntry);
  } catch {
    return false;
  }
}

async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

export function spawnedProcess(child: ChildProcess): WorkloadProcess {
  const exited = new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    pid: child.pid!,
    running,
    signal: (s) => void child.kill(s),
    async stop() {
      if (!running()) return { pid: child.pid!, wasRunning: false, forced: false };
      child.kill('SIGTERM');
      // Resumed first: a paused process cannot act on SIGTERM.
      child.kill('SIGCONT');
      const clean = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
      if (!clean) {
        child.kill('SIGKILL');
        await exited;
      }
      return { pid: child.pid!, wasRunning: true, forced: !clean };
    },
  };
}

export function adoptedProcess(pid: number, what: string, isEntry: EntryCheck): WorkloadProcess {
  const running = () => runsWorkload(pid, isEntry);
  const send = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      // already gone
    }
  };
  return {
    pid,
    running,
    signal: (s) => (running() ? send(s) : undefined),
    async stop() {
      if (!running()) return { pid, wasRunning: false, forced: false };
      send('SIGTERM');
      send('SIGCONT');
      if (await until(() => !isRunning(pid), STOP_GRACE_MS)) return { pid, wasRunning: true, forced: false };
      send('SIGKILL');
      if (!(await until(() => !isRunning(pid), KILL_WAIT_MS))) throw new Error(`process ${pid} (${what}) survived SIGKILL for ${KILL_WAIT_MS} ms`);
      return { pid, wasRunning: true, forced: true };
    },
  };
}
