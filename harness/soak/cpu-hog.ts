/**
 * Busy processes that compete with the mesh for the CPU, the way other jobs on
 * a shared CI runner do. Each spins until stopped, and gives up by itself
 * after a bound, so nothing keeps burning if the soak dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

const SPIN = 'const end = Date.now() + Number(process.argv[1]); while (Date.now() < end) {}';

export class CpuHogs {
  readonly #children: ChildProcess[] = [];
  readonly #ticksPerSecond = 100;

  constructor(count: number, maxMs: number) {
    if (!Number.isInteger(count) || count < 0) throw new TypeError(`cpu hogs: count must be a whole number (got ${count})`);
    for (let i = 0; i < count; i++) this.#children.push(spawn(process.execPath, ['-e', SPIN, String(maxMs)], { stdio: 'ignore' }));
  }

  /** CPU seconds each hog has used so far (user + system, from /proc). */
  cpuSeconds(): number[] {
    return this.#children.map((c) => {
      try {
        const fields = readFileSync(`/proc/${c.pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
        return (Number(fields[11]) + Number(fields[12])) / this.#ticksPerSecond;
      } catch {
        return 0;
      }
    });
  }

  async stop(): Promise<number[]> {
    const used = this.cpuSeconds();
    await Promise.all(
      this.#children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGKILL');
          }),
      ),
    );
    return used;
  }
}
