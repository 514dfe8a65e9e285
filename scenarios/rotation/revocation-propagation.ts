import { probeTls } from '../../harness/attacks/tls-probe.ts';
import { waitForCrl } from '../../harness/gate/crl-propagation.ts';
import { auditLogged } from '../../harness/gate/detections.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, checkThat, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';
import type { ServiceName } from '../../services/topology.ts';
import { DEFAULT_SETTINGS } from '../../services/kit/workload/settings.ts';

const PEERS: ServiceName[] = ['sts', 'pdp', 'ledger', 'payments', 'gateway'];

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'rotation.revocation-propagation',
    title: 'A revocation reaches every workload within the CRL refresh bound',
    plane: 'rotation',
    severity: 'critical',
    threat: 'A revoked certificate keeps working on the workloads that have not heard of the revocation yet.',
    tags: ['rotation', 'revocation'],
    control: { kind: 'setting', location: 'services/kit/workload/settings.ts', description: 'crlRefreshMs bounds revocation propagation (long poll pushes it at once)' },
  },
  inject,
  async expect(ctx, { acceptedBefore, refusedAfter, propagationMs, bound, audits }) {
    return expectation(
      [
        check('every workload accepted the certificate before revocation', PEERS.length, acceptedBefore),
        checkThat(`every workload knows the revocation within ${bound} ms`, { ok: propagationMs <= bound, expected: `<= ${bound} ms`, observed: `${Math.round(propagationMs)} ms` }),
        check('every workload refuses the revoked certificate', PEERS, refusedAfter),
      ],
      audits,
    );
  },
});

async function inject(ctx: MeshContext) {
  const actor = await ctx.actor('gateway');
  const ca = ctx.engine.trustBundle();
  const probe = (s: ServiceName) => probeTls({ url: `${ctx.engine.endpoint(s).url}/healthz`, cert: actor.credentials.certPem, key: actor.credentials.keyPem, ca });
  let acceptedBefore = 0;
  for (const s of PEERS) if ((await probe(s)).status === 200) acceptedBefore += 1;
  const cursors = PEERS.map((s) => ctx.mark(s));
  const { crlNumber } = await ctx.engine.operator.revokeCert(actor.serial);
  // The bound the mesh was deployed with: a redeploy with a slower refresh does not move the goalposts.
  const bound = ctx.engine.baseline().settings.payments?.crlRefreshMs ?? DEFAULT_SETTINGS.crlRefreshMs;
  const waited = await waitForCrl(ctx.engine, PEERS, crlNumber, bound * 3);
  const propagationMs = waited.pending.length ? Infinity : waited.propagationMs;
  ctx.latency('revocationPropagationUs', Number.isFinite(propagationMs) ? propagationMs * 1000 : -1);
  const refusedAfter: ServiceName[] = [];
  for (const s of PEERS) if (!(await probe(s)).answered) refusedAfter.push(s);
  const audits = await Promise.all(cursors.map((c) => auditLogged(c, { event: 'tls_rejected', reason: 'cert_revoked' })));
  return { acceptedBefore, refusedAfter, propagationMs, bound, audits };
}
