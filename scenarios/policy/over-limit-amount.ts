import { auditLogged } from '../../harness/gate/detections.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { newReference } from '../../harness/gate/token-rejection.ts';
import { samplePayment } from '../../harness/actors/payment.ts';
import { check, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'policy.over-limit-amount',
    title: 'A payment over the user’s limit is refused',
    plane: 'policy',
    severity: 'high',
    threat: 'A user (or a stolen session) moves more money than their limit allows.',
    tags: ['policy', 'limits'],
    control: { kind: 'code', location: 'services/sts/user-directory.ts', description: 'per-user payment limits bound every transaction token' },
  },
  inject,
  async expect(ctx, { res, reference, gateway, sts }) {
    const body = res.json<{ error?: string; detail?: string }>();
    return expectation(
      [check('gateway answered 403', 403, res.status), check('reason code', 'txn_token_refused', body.error, body), check('nothing was booked', 0, await ctx.booked(reference))],
      [await auditLogged(gateway, { event: 'txn_token_refused', user: 'bob' }), await auditLogged(sts, { event: 'token_refused', error: 'invalid_scope' })],
    );
  },
});

async function inject(ctx: MeshContext) {
  const token = await ctx.user.login('bob');
  const gateway = ctx.mark('gateway');
  const sts = ctx.mark('sts');
  const reference = newReference('pol-limit');
  const res = await ctx.user.pay(token, samplePayment(reference, { amount: 5000 }));
  return { res, reference, gateway, sts };
}
