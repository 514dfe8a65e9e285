/** The PDP's policies and engine in process (pdpEmbedded): no network hop, no central policy push. */
import type { DecideFn } from '../kit/pep/policy-enforcer.ts';

export async function embeddedPdp(): Promise<DecideFn> {
  // Loaded only in embedded mode: the Cedar engine is not part of a remote-mode workload's start-up.
  const [{ PdpEngine }, { PACKAGE_POLICY_DIR }, { PolicyStore }] = await Promise.all([import('./pdp-engine.ts'), import('./policy-directory-default.ts'), import('./policy-store.ts')]);
  const store = await PolicyStore.fromDirectory(PACKAGE_POLICY_DIR);
  const engine = new PdpEngine({ policies: store });
  return async (request) => engine.decide(request);
}
