import { auditLogged, metricEventually } from '../../harness/gate/detections.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';
import { newReference } from '../../harness/gate/reference.ts';
import { samplePayment } from '../../harness/actors/payment.ts';

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'mtls.spiffe-id-not-allowed',
    title: 'The gateway calling the ledger directly is refused',
    plane: 'mtls',
    severity: 'critical',
    threat: 'A compromised edge service skips payments and writes ledger entries itself.',
    tags: ['transport', 'topology', 'lateral-movement'],
    control: { kind: 'code', location: 'services/topology.ts', description: 'ledger routes allow only the payments identity' },
  },
  inject,
  async expect(ctx, { res, cursor, before }) {
    const body = res.json<{ error?: string }>();
    return expectation(
      [check('ledger answered 403', 403, res.status), check('reason code', 'spiffe_id_not_allowed', body.error, body)],
      [
        await auditLogged(cursor, { event: 'request_refused', reason: 'spiffe_id_not_allowed', peer_spiffe_id: 'spiffe://meshgate.test/gateway' }),
        await metricEventually(ctx, 'ledger', before, 'meshgate_http_requests_total', { route: '/entries', status: '403' }),
      ],
    );
  },
});

async function inject(ctx: MeshContext) {
  const gateway = await ctx.actor('gateway');
  const cursor = ctx.mark('ledger');
  const before = await ctx.scrape('ledger');
  const p = samplePayment(newReference('lateral'));
  const res = await gateway.call('ledger', 'POST', '/entries', { body: { reference: p.reference, amount: p.amount, currency: p.currency, cardLast4: '1111', cardToken: 'v1.x.y.z', owner: 'alice' } });
  return { res, cursor, before };
}
