/**
 * Runs a workload as its own process: loads its config, starts it, and shuts it
 * down cleanly on SIGTERM/SIGINT. A start-up failure exits 1 with the reason on
 * stderr (which the launcher keeps in the service's log folder).
 */
import { readFileSync, rmSync } from 'node:fs';
import { loadWorkloadConfig, type WorkloadConfig } from './config.ts';

/** A workload closes its listeners and flushes its spans within this, then exits whatever is pending. */
export const SHUTDOWN_BUDGET_MS = 2000;

export function runWorkloadProcess(start: (config: WorkloadConfig, joinToken: string | undefined) => Promise<{ close(): Promise<void> }>): void {
  let running: { close(): Promise<void> } | undefined;
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(code), SHUTDOWN_BUDGET_MS);
    force.unref();
    try {
      await running?.close();
      // Flush pending spans when the telemetry preload is in this process (already loaded, so cheap).
      if (process.execArgv.some((a) => a.includes('telemetry/register'))) await import('../telemetry/sdk.ts').then((m) => m.shutdownTelemetry()).catch(() => undefined);
    } finally {
      process.exit(code);
    }
  };
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
  // The launcher holds the other end of stdin: when it dies, so do we (no orphans).
  if (process.env.MESHGATE_PARENT_WATCH === '1') {
    process.stdin.on('end', () => void stop(0));
    process.stdin.on('error', () => void stop(0));
    process.stdin.resume();
  }
  // The join token arrives in a 0600 file that is read once and removed: an environment variable
  // would stay readable in /proc/<pid>/environ for the life of the process.
  const tokenFile = process.env.MESHGATE_JOIN_TOKEN_FILE;
  let joinToken: string | undefined = process.env.MESHGATE_JOIN_TOKEN; // only with joinTokenInEnvironment (unsafe)
  if (tokenFile) {
    joinToken = readFileSync(tokenFile, 'utf8').trim();
    rmSync(tokenFile, { force: true });
  }
  (async () => {
    const config = loadWorkloadConfig();
    running = await start(config, joinToken);
  })().catch((err: unknown) => {
    process.stderr.write(`meshgate workload failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
