import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, checkThat, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';
import { samplePayment } from '../../harness/actors/payment.ts';
import { newReference } from '../../harness/gate/token-rejection.ts';
import { auditLogged } from '../../harness/gate/detections.ts';

const TIGHTER = '@id("payment-ceiling-10")\nforbid (principal, action == Action::"POST /payments", resource)\nwhen { resource.amount > 1000 };\n';

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'policy.policy-tightened',
    title: 'A tightened policy takes effect within the decision cache bound',
    plane: 'policy',
    severity: 'medium',
    threat: 'An emergency policy change (a lower payment ceiling) keeps being ignored by cached decisions.',
    tags: ['policy', 'cache', 'staleness'],
    control: { kind: 'setting', location: 'services/kit/workload/settings.ts', description: 'pdpCacheTtlMs bounds decision staleness' },
    timeoutMs: 30_000,
  },
  inject,
  async expect(ctx, { firstDeniedAfterMs, bound, push, audit }) {
    return expectation(
      [
        checkThat('a 20 EUR payment is denied within the cache bound', { ok: firstDeniedAfterMs !== undefined && firstDeniedAfterMs <= bound + 500, expected: `<= ${bound + 500} ms`, observed: firstDeniedAfterMs === undefined ? 'never denied' : `${Math.round(firstDeniedAfterMs)} ms`, evidence: push }),
      ],
      [audit],
    );
  },
  async revert(ctx) {
    // Back to the version the run found, whether or not the push got through.
    const { policyVersion } = ctx.engine.baseline();
    if ((await ctx.engine.operator.policies()).version !== policyVersion) await ctx.engine.operator.rollbackPolicy(policyVersion);
  },
});

async function inject(ctx: MeshContext) {
  const pdpLog = ctx.mark('pdp');
  const push = await ctx.engine.operator.pushPolicy({ 'zz-payment-ceiling.cedar': TIGHTER }, { merge: true });
  const pushedAt = performance.now();
  const bound = ctx.engine.settings('payments').pdpCacheTtlMs;
  let firstDeniedAfterMs: number | undefined;
  const token = await ctx.user.login('alice');
  while (performance.now() - pushedAt < bound + 3000) {
    const res = await ctx.user.pay(token, samplePayment(newReference('pol-tight'), { amount: 20 }));
    if (res.status === 403 && res.json<{ error?: string }>().error === 'pdp_denied') {
      firstDeniedAfterMs = performance.now() - pushedAt;
      break;
    }
  }
  if (firstDeniedAfterMs !== undefined) ctx.latency('policyPropagationUs', firstDeniedAfterMs * 1000);
  const audit = await auditLogged(pdpLog, { event: 'policy_updated' });
  return { firstDeniedAfterMs, bound, push, audit };
}
