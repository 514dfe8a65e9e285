import { auditLogged, metricEventually } from '../../harness/gate/detections.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { bearer, legitTokens, newReference } from '../../harness/gate/token-rejection.ts';
import { samplePayment } from '../../harness/actors/payment.ts';
import { check, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'policy.pdp-outage',
    title: 'With the PDP down, payments fail closed',
    plane: 'policy',
    severity: 'critical',
    threat: 'The policy decision point crashes or is taken down, hoping enforcement falls open.',
    tags: ['policy', 'availability', 'fail-closed'],
    control: { kind: 'setting', location: 'services/kit/workload/settings.ts', description: 'pdpFailOpen is false' },
    timeoutMs: 30_000,
  },
  inject,
  async expect(ctx, { res, reference, cursor, before }) {
    const body = res.json<{ error?: string }>();
    return expectation(
      [check('payments answered 503', 503, res.status), check('reason code', 'pdp_unavailable', body.error, body), check('nothing was booked', 0, await ctx.booked(reference))],
      [await auditLogged(cursor, { event: 'authz_decision', decision: 'deny', reason: 'pdp_unavailable' }), await metricEventually(ctx, 'payments', before, 'meshgate_authz_decisions_total', { decision: 'deny', reason: 'pdp_unavailable' })],
    );
  },
  async revert(ctx) {
    if (!ctx.engine.isRunning('pdp')) await ctx.engine.restart('pdp');
  },
});

async function inject(ctx: MeshContext) {
  const legit = await legitTokens(ctx, 15);
  await ctx.engine.kill('pdp');
  const cursor = ctx.mark('payments');
  const before = await ctx.scrape('payments');
  const reference = newReference('pol-outage');
  const res = await legit.gateway.call('payments', 'POST', '/payments', { body: samplePayment(reference, { amount: 15 }), headers: { authorization: bearer(legit.accessToken), 'txn-token': legit.txnToken } });
  return { res, reference, cursor, before };
}
