import { auditLogged, metricEventually, spanRecorded } from '../../harness/gate/detections.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'mtls.open-connection-revoked',
    title: 'Revoking a certificate closes the keep-alive connection it already opened',
    plane: 'mtls',
    severity: 'high',
    threat: 'A stolen certificate keeps working after revocation on a connection opened before it, bounded only by the idle timeout.',
    tags: ['transport', 'revocation', 'keep-alive'],
    control: { kind: 'code', location: 'services/kit/mtls/peer-watch.ts', description: 'a CRL update closes every open connection its peer certificate authenticated' },
  },
  inject,
  async expect(ctx, { opened, afterRevocation, cursor, before, serial }) {
    return expectation(
      [
        check('the connection was open and served before the revocation', 200, opened),
        check('the same client is refused after the revocation', 'refused', afterRevocation),
      ],
      [
        await auditLogged(cursor, { event: 'connection_closed', reason: 'cert_revoked', serial }),
        await metricEventually(ctx, 'payments', before, 'meshgate_tls_connections_closed_total', { role: 'server', reason: 'cert_revoked' }),
        await spanRecorded(ctx, 'payments', 'tls.connection.closed', { 'error.type': 'cert_revoked' }),
      ],
    );
  },
});

async function inject(ctx: MeshContext) {
  const gateway = await ctx.actor('gateway');
  const opened = (await gateway.call('payments', 'GET', '/healthz')).status;
  const cursor = ctx.mark('payments');
  const before = await ctx.scrape('payments');
  await ctx.engine.operator.revokeCert(gateway.serial);
  // The long poll delivers the CRL at once; allow it a bounded moment, then reuse the pooled connection.
  const deadline = Date.now() + 3_000;
  let afterRevocation = 'served';
  while (Date.now() < deadline && afterRevocation === 'served') {
    afterRevocation = await gateway.call('payments', 'GET', '/healthz').then(
      () => 'served',
      () => 'refused',
    );
    if (afterRevocation === 'served') await new Promise((r) => setTimeout(r, 100));
  }
  return { opened, afterRevocation, cursor, before, serial: gateway.serial };
}
