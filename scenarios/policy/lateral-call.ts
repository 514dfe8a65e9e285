import { decisionLogged } from '../../harness/gate/detections.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';
import { newReference } from '../../harness/gate/reference.ts';

/** Defence in depth: even if a caller list were widened, the PDP denies an undeclared edge. */
export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'policy.lateral-call',
    title: 'The PDP denies the gateway writing ledger entries directly',
    plane: 'policy',
    severity: 'high',
    threat: 'A widened caller list lets the edge service reach the ledger; the policy must still deny it.',
    tags: ['policy', 'lateral-movement'],
    control: { kind: 'policy', location: 'services/pdp/policies/payments-to-ledger.cedar', description: 'only payments may create ledger entries' },
  },
  inject,
  async expect(_ctx, { res, decisions }) {
    const body = res.json<{ decision?: string; policyIds?: string[]; decisionId?: string }>();
    return expectation(
      [check('the PDP answered', 200, res.status), check('decision', 'deny', body.decision, body)],
      [await decisionLogged(decisions, { decision: 'deny', principal: 'spiffe://meshgate.test/gateway', action: 'POST /entries' })],
    );
  },
});

async function inject(ctx: MeshContext) {
  const decisions = ctx.mark('pdp-decisions');
  const res = await ctx.engine.operator.decide({
    principal: 'spiffe://meshgate.test/gateway',
    action: 'POST /entries',
    resource: { type: 'Entry', id: newReference('lateral'), attributes: { amount: 1200, currency: 'EUR', owner: 'alice' } },
    context: { user: 'alice', scope: ['payments:write'], purpose: 'payment', amount: 1200, currency: 'EUR' },
    txn: 'lateral',
  });
  return { res, decisions };
}
