import { readFileSync } from 'node:fs';

/**
 * Whether a process is running: it exists and is not a zombie waiting for its
 * parent to reap it (detached workloads are reparented, so a stopped one can
 * linger as a zombie that signal 0 still reaches).
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** Whether a process is stopped by a signal (SIGSTOP): state T in /proc/<pid>/stat. */
export function isPaused(pid: number): boolean {
  try {
    return /^\d+ \(.*\) [Tt]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
