/** Waits (bounded) until each workload reports a CRL at least as new as `crlNumber`; returns how long it took. */
import type { ServiceName } from '../../services/topology.ts';
import { pollUntil } from '../evidence/poll.ts';
import type { MeshEngine } from '../engine/mesh-engine.ts';

export async function waitForCrl(engine: MeshEngine, services: readonly ServiceName[], crlNumber: number, timeoutMs: number): Promise<{ propagationMs: number; pending: ServiceName[] }> {
  const started = performance.now();
  const pending = new Set(services);
  await pollUntil(
    async () => {
      for (const s of [...pending]) if (((await engine.operator.health(s)).crlNumber ?? -1) >= crlNumber) pending.delete(s);
    },
    () => pending.size === 0,
    timeoutMs,
    10,
  );
  return { propagationMs: performance.now() - started, pending: [...pending] };
}
