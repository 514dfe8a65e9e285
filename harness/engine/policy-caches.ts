/**
 * Workloads cache allow decisions for up to their staleness bound and learn a
 * new policy version only on their next miss. After a policy is rolled back,
 * an allow that only the abandoned version gave can be served until that bound
 * has passed; a revert waits it out so the next scenario meets the baseline.
 */
import { DEFAULT_SETTINGS } from '../../services/kit/workload/settings.ts';
import type { MeshEngine } from './mesh-engine.ts';

/** The longest decision-cache bound any workload was deployed with. */
export function policyCacheBoundMs(engine: MeshEngine): number {
  const bounds = Object.values(engine.baseline().settings).map((s) => s?.pdpCacheTtlMs ?? DEFAULT_SETTINGS.pdpCacheTtlMs);
  return Math.max(DEFAULT_SETTINGS.pdpCacheTtlMs, ...bounds);
}

export async function settlePolicyCaches(engine: MeshEngine): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, policyCacheBoundMs(engine)));
}
