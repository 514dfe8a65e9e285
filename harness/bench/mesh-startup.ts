/** Wall time for the local engine to start the whole mesh until every workload answers /healthz over mTLS. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalMesh } from '../mesh/local-mesh.ts';
import { printRows, type BenchRow } from './bench-row.ts';
import { percentile } from '../scenario/latency.ts';

export async function benchMeshStartup(runs = 3): Promise<BenchRow[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'meshgate-bench-'));
    const started = performance.now();
    const mesh = await LocalMesh.start({ stateDir: dir });
    samples.push((performance.now() - started) * 1000);
    await mesh.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const pick = (p: number) => Math.round(percentile(samples, p) ?? 0);
  return [{ name: `mesh start-up to healthy (${runs} runs)`, p50Us: pick(50), p99Us: pick(99), meanUs: Math.round(samples.reduce((a, b) => a + b, 0) / samples.length), samples: samples.length }];
}

if (import.meta.main) printRows('mesh start-up', await benchMeshStartup());
