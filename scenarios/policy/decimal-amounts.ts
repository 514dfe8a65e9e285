import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, expectation, type Check } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';
import { newReference } from '../../harness/gate/reference.ts';
import { samplePayment } from '../../harness/actors/payment.ts';

/** Amounts a floating-point "two decimals" check refuses after the token service approved them. */
const AMOUNTS = [19.99, 1.1, 0.29, 4.35];

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'policy.decimal-amounts',
    title: 'Two-decimal amounts are booked exactly once, at exactly the amount sent',
    plane: 'policy',
    severity: 'medium',
    threat: 'A floating-point amount check refuses valid payments after approval and spends their transaction tokens.',
    tags: ['policy', 'amounts', 'integrity'],
    control: { kind: 'code', location: 'services/kit/amount.ts', description: 'amounts are read once into integer minor units' },
  },
  inject,
  async expect(ctx, { answers }) {
    const control: Check[] = [];
    for (const a of answers) {
      control.push(check(`${a.amount} booked at exactly ${a.amount}`, { status: 201, amount: a.amount }, { status: a.status, amount: a.booked }, a.body));
      control.push(check(`${a.amount}: one ledger entry`, 1, await ctx.engine.ledger.entriesFor(a.reference)));
    }
    return expectation(control, []);
  },
});

async function inject(ctx: MeshContext) {
  const token = await ctx.user.login('alice');
  const answers = [];
  for (const amount of AMOUNTS) {
    const reference = newReference('amount');
    const res = await ctx.user.pay(token, samplePayment(reference, { amount }));
    let booked: unknown;
    try {
      booked = res.json<{ amount?: unknown }>().amount;
    } catch {
      booked = undefined;
    }
    answers.push({ amount, reference, status: res.status, booked, body: res.body.slice(0, 200) });
  }
  return { answers };
}
