import { auditLogged, metricEventually } from '../../harness/gate/detections.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { newReference } from '../../harness/gate/reference.ts';
import { samplePayment } from '../../harness/actors/payment.ts';
import { check, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'e2ee.plaintext-card',
    title: 'A card sent in clear is refused: only a card sealed for payments is taken',
    plane: 'e2ee',
    severity: 'critical',
    threat: 'Every hop between the client and payments (gateway, proxies, their debug logs) reads a card that travels in clear.',
    tags: ['e2ee', 'secrets'],
    control: { kind: 'setting', location: 'services/kit/workload/settings.ts', description: 'allowPlaintextCard false: payments refuses a card that is not a JWE sealed for it' },
  },
  inject,
  async expect(ctx, { res, reference, cursor, before }) {
    const body = res.json<{ error?: string }>();
    return expectation(
      [check('payments answered 400', 400, res.status), check('reason code', 'card_not_encrypted', body.error, body), check('nothing was booked', 0, await ctx.booked(reference))],
      [
        await auditLogged(cursor, { event: 'request_refused', reason: 'card_not_encrypted', route: 'POST /payments' }),
        await metricEventually(ctx, 'payments', before, 'meshgate_sealed_cards_total', { result: 'refused', reason: 'card_not_encrypted' }),
      ],
    );
  },
});

async function inject(ctx: MeshContext) {
  const token = await ctx.user.login('alice');
  const cursor = ctx.mark('payments');
  const before = await ctx.scrape('payments');
  const reference = newReference('e2ee-clear');
  // A client that skips the seal: the card object goes through the gateway as it is.
  const res = await ctx.user.pay(token, samplePayment(reference), { plaintext: true });
  return { res, reference, cursor, before };
}
