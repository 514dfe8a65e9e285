/** Mesh start-up: the local engine starting every workload until each answers /healthz over mTLS; then each workload's memory at idle. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeshLauncher } from '../mesh/mesh-launcher.ts';
import type { FigureRecorder } from './figure.ts';
import { recordWorkloadMemory } from './proc-memory.ts';

/** Idle means after start-up has settled: the first renewals, CRL fetches and JIT warm-up are done. */
const IDLE_AFTER_MS = 2_000;

export async function startupRep(recorder: FigureRecorder): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'meshgate-bench-'));
  try {
    const started = performance.now();
    const mesh = await MeshLauncher.start({ stateDir: dir });
    recorder.record({ id: 'startup.mesh', label: 'mesh start-up until every workload is healthy over mTLS', unit: 'ms', better: 'lower' }, performance.now() - started);
    try {
      await new Promise((r) => setTimeout(r, IDLE_AFTER_MS));
      recordWorkloadMemory(recorder, mesh.record().services, 'idle', `idle, ${IDLE_AFTER_MS / 1000} s after start-up`);
    } finally {
      await mesh.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
