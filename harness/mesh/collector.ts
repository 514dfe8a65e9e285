/**
 * Starts the span collector of a detached mesh (harness/collectors/collector-process.ts)
 * and stops it again: a process of its own that outlives `meshgate up`.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OtlpForwarding } from '../collectors/otlp-forwarding.ts';
import { PACKAGE_ROOT, type StatePaths } from './state-dir.ts';
import { adoptedProcess, type StopOutcome } from './workload-process.ts';

export const COLLECTOR_ENTRY = join(PACKAGE_ROOT, 'harness', 'collectors', 'collector-process.ts');
const READY_TIMEOUT_MS = 10_000;

export async function startCollector(paths: StatePaths, forwarding?: OtlpForwarding): Promise<{ pid: number; url: string }> {
  for (const dir of [paths.services, paths.logs]) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ready = join(paths.services, 'collector.json');
  rmSync(ready, { force: true });
  const out = openSync(join(paths.logs, 'collector.stdio.log'), 'a');
  // The forwarding headers may carry the user's API key: a 0600 file read once, never the command line.
  const forwardingFile = join(paths.services, 'collector-forwarding.json');
  if (forwarding) writeFileSync(forwardingFile, JSON.stringify(forwarding), { mode: 0o600 });
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', COLLECTOR_ENTRY, paths.spans, ready, ...(forwarding ? [forwardingFile] : [])], { cwd: PACKAGE_ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', out, out], detached: true });
  closeSync(out);
  child.unref();
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the span collector exited (${child.exitCode}) before it was ready`);
    if (existsSync(ready)) return JSON.parse(readFileSync(ready, 'utf8')) as { pid: number; url: string };
    await sleep(15);
  }
  child.kill('SIGKILL');
  throw new Error(`the span collector was not ready within ${READY_TIMEOUT_MS} ms`);
}

export function stopCollector(pid: number): Promise<StopOutcome> {
  return adoptedProcess(pid, 'the span collector', (arg) => arg === COLLECTOR_ENTRY).stop();
}
