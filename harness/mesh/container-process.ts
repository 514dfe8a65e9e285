/**
 * A workload running in a container, as the launcher controls it: known by
 * its container and by the host pid of the container's first process (the
 * entry point becomes the workload with execve, so the pid stays). Signals go
 * to that pid, which is how SIGSTOP freezes it as it would a local process;
 * stopping is the container CLI's stop, which escalates to SIGKILL itself.
 */
import { isRunning } from './process-state.ts';
import type { ComposeProject } from './compose-project.ts';
import { STOP_GRACE_MS, runsWorkload, type EntryCheck, type StopOutcome, type WorkloadProcess } from './workload-process.ts';

/** The exit code a container reports when its process was killed (128 + SIGKILL). */
const KILLED = 137;

export class ContainerProcess implements WorkloadProcess {
  readonly pid: number;
  readonly container: string;
  readonly #isEntry: EntryCheck;
  readonly #project: ComposeProject;

  constructor(project: ComposeProject, container: string, pid: number, isEntry: EntryCheck) {
    this.#project = project;
    this.container = container;
    this.pid = pid;
    this.#isEntry = isEntry;
  }

  /** The container's process right now (0 while it is not running). */
  static async pidOf(project: ComposeProject, container: string): Promise<number> {
    return Number((await project.container(['inspect', '--format', '{{.State.Pid}}', container])).trim());
  }

  running(): boolean {
    return runsWorkload(this.pid, this.#isEntry);
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.running()) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  async stop(): Promise<StopOutcome> {
    if (!isRunning(this.pid)) return { pid: this.pid, wasRunning: false, forced: false };
    // Resumed first: a frozen process cannot act on SIGTERM.
    this.signal('SIGCONT');
    await this.#project.container(['stop', '-t', String(Math.ceil(STOP_GRACE_MS / 1000)), this.container]);
    const exitCode = Number((await this.#project.container(['inspect', '--format', '{{.State.ExitCode}}', this.container])).trim());
    return { pid: this.pid, wasRunning: true, forced: exitCode === KILLED };
  }
}
