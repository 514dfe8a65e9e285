/** Wall time for the local engine to start the whole mesh until every workload answers /healthz over mTLS. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalMesh } from '../mesh/local-mesh.ts';
import { printRows, type BenchRow } from './bench-row.ts';

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
  samples.sort((a, b) => a - b);
  const pick = (q: number) => Math.round(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!);
  return [{ name: `mesh start-up to healthy (${runs} runs)`, p50Us: pick(0.5), p99Us: pick(0.99), meanUs: Math.round(samples.reduce((a, b) => a + b, 0) / samples.length), samples: samples.length }];
}

if (import.meta.main) printRows('mesh start-up', await benchMeshStartup());
