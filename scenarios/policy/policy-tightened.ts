import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, checkAtLeast, checkThat, expectation } from '../../harness/scenario/check.ts';
import { DEFAULT_SETTINGS } from '../../services/kit/workload/settings.ts';
import { defineScenario } from '../../harness/scenario/define.ts';
import { samplePayment } from '../../harness/actors/payment.ts';
import { newReference } from '../../harness/gate/token-rejection.ts';
import { auditLogged } from '../../harness/gate/detections.ts';
import { settlePolicyCaches } from '../../harness/engine/policy-caches.ts';

/** Payments that must start past the bound for the check to mean something. */
const MIN_AFTER_BOUND = 3;
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
  async expect(_ctx, { attempts, bound, push, audit, before }) {
    // A decision cached before the push expires within the bound, so every payment that starts later is
    // judged by the new policy, however slow the machine is.
    const afterBound = attempts.filter((a) => a.startedAfterMs > bound);
    const allowed = afterBound.filter((a) => a.outcome !== 'pdp_denied');
    return expectation(
      [
        check('every 20 EUR payment started after the cache bound is denied (pdp_denied)', [], allowed.slice(0, 5), { bound, push }),
        checkThat('the new policy denied a payment', { ok: attempts.some((a) => a.outcome === 'pdp_denied'), expected: 'a pdp_denied answer', observed: attempts.slice(-3) }),
      ],
      [audit],
      [
        checkThat('the same payment was booked before the push (its allow is in the cache)', { ok: before === 201, expected: 201, observed: before }),
        checkAtLeast('payments started after the cache bound', MIN_AFTER_BOUND, afterBound.length),
      ],
    );
  },
  async revert(ctx) {
    // Back to the version the run found, whether or not the push got through.
    const { policyVersion } = ctx.engine.baseline();
    if ((await ctx.engine.operator.policies()).version === policyVersion) return;
    await ctx.engine.operator.rollbackPolicy(policyVersion);
    await settlePolicyCaches(ctx.engine);
  },
});

async function inject(ctx: MeshContext) {
  const token = await ctx.user.login('alice');
  // The same payment before the push: payments caches its allow, which the cache bound must expire.
  const before = await ctx.user.pay(token, samplePayment(newReference('pol-tight'), { amount: 20 }));
  const pdpLog = ctx.mark('pdp');
  const push = await ctx.engine.operator.pushPolicy({ 'zz-payment-ceiling.cedar': TIGHTER }, { merge: true });
  const pushedAt = performance.now();
  // The bound the mesh was deployed with: a redeploy with a longer cache does not move the goalposts.
  const bound = ctx.engine.baseline().settings.payments?.pdpCacheTtlMs ?? DEFAULT_SETTINGS.pdpCacheTtlMs;
  const attempts: Array<{ startedAfterMs: number; status: number; outcome: string }> = [];
  // Bounded in time and count: payments until enough have started past the bound.
  while (attempts.filter((a) => a.startedAfterMs > bound).length < MIN_AFTER_BOUND && performance.now() - pushedAt < bound + 15_000 && attempts.length < 500) {
    const startedAfterMs = performance.now() - pushedAt;
    const res = await ctx.user.pay(token, samplePayment(newReference('pol-tight'), { amount: 20 }));
    const outcome = res.status === 201 ? 'booked' : String(res.json<{ error?: string }>().error ?? res.status);
    attempts.push({ startedAfterMs: Math.round(startedAfterMs), status: res.status, outcome });
  }
  const firstDenied = attempts.find((a) => a.outcome === 'pdp_denied');
  if (firstDenied) ctx.latency('policyPropagationUs', firstDenied.startedAfterMs * 1000);
  const audit = await auditLogged(pdpLog, { event: 'policy_updated' });
  return { attempts, bound, push, audit, before: before.status };
}
