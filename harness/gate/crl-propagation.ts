/** Waits (bounded) until each workload reports a CRL at least as new as `crlNumber`; returns how long it took. */
import type { ServiceName } from '../../services/topology.ts';
import { pollUntil } from '../evidence/poll.ts';
import type { LocalMesh } from '../mesh/local-mesh.ts';

export async function waitForCrl(mesh: LocalMesh, services: readonly ServiceName[], crlNumber: number, timeoutMs: number): Promise<{ propagationMs: number; pending: ServiceName[] }> {
  const started = performance.now();
  const pending = new Set(services);
  await pollUntil(
    async () => {
      for (const s of [...pending]) if ((await mesh.operator.json<{ crlNumber: number }>(s, 'GET', '/healthz')).crlNumber >= crlNumber) pending.delete(s);
    },
    () => pending.size === 0,
    timeoutMs,
    10,
  );
  return { propagationMs: performance.now() - started, pending: [...pending] };
}
