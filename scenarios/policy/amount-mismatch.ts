import { auditLogged, decisionLogged, metricEventually, spanRecorded } from '../../harness/gate/detections.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { bearer, legitTokens, newReference } from '../../harness/gate/token-rejection.ts';
import { samplePayment } from '../../harness/actors/payment.ts';
import { check, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'policy.amount-mismatch',
    title: 'A payment larger than the amount the user approved is denied by the PDP',
    plane: 'policy',
    severity: 'critical',
    threat: 'A compromised gateway reuses a user’s approval for 12 EUR to book 900 EUR.',
    tags: ['policy', 'authorization'],
    control: { kind: 'policy', location: 'services/pdp/policies/gateway-to-payments.cedar', region: { startLine: 4 }, description: 'resource.amount == context.amount' },
  },
  inject,
  async expect(ctx, { res, reference, cursor, decisions, before }) {
    const body = res.json<{ error?: string; decision_id?: string }>();
    return expectation(
      [check('payments answered 403', 403, res.status), check('reason code', 'pdp_denied', body.error, body), check('nothing was booked', 0, await ctx.booked(reference))],
      [
        await auditLogged(cursor, { event: 'authz_decision', decision: 'deny', reason: 'pdp_denied' }),
        await decisionLogged(decisions, { decision: 'deny', action: 'POST /payments', decision_id: body.decision_id ?? 'no decision id in the answer' }),
        await metricEventually(ctx, 'payments', before, 'meshgate_authz_decisions_total', { decision: 'deny', reason: 'pdp_denied' }),
        await spanRecorded(ctx, 'payments', 'meshgate.authz', { 'meshgate.authz.decision': 'deny' }),
      ],
    );
  },
});

async function inject(ctx: MeshContext) {
  const legit = await legitTokens(ctx, 12);
  const cursor = ctx.mark('payments');
  const decisions = ctx.mark('pdp-decisions');
  const before = await ctx.scrape('payments');
  const reference = newReference('pol-mismatch');
  const res = await legit.gateway.call('payments', 'POST', '/payments', { body: samplePayment(reference, { amount: 900 }), headers: { authorization: bearer(legit.accessToken), 'txn-token': legit.txnToken } });
  return { res, reference, cursor, decisions, before };
}
