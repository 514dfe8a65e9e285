/** Mesh start-up: the local engine starting every workload until each answers /healthz over mTLS. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalMesh } from '../mesh/local-mesh.ts';
import type { FigureRecorder } from './figure.ts';

export async function startupRep(recorder: FigureRecorder): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'meshgate-bench-'));
  try {
    const started = performance.now();
    const mesh = await LocalMesh.start({ stateDir: dir });
    recorder.record({ id: 'startup.mesh', label: 'mesh start-up until every workload is healthy over mTLS', unit: 'ms', better: 'lower' }, performance.now() - started);
    await mesh.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
