import { cardAttackScenario } from '../../harness/gate/card-attack.ts';
import { newReference } from '../../harness/gate/reference.ts';

export const scenario = cardAttackScenario({
  meta: {
    id: 'e2ee.swapped-card',
    title: 'A card sealed for one payment cannot be moved to another',
    plane: 'e2ee',
    severity: 'critical',
    threat: 'A compromised gateway keeps a customer’s sealed card and attaches it to a payment the customer never made.',
    tags: ['e2ee', 'integrity', 'binding'],
    control: { kind: 'code', location: 'services/payments/encryption-keys.ts', description: 'the JWE protected header binds the card to its reference, amount and currency' },
  },
  reason: 'card_binding_mismatch',
  tamper: async (_ctx, payment, seal) => [
    { variant: 'sealed for another reference', card: await seal({ ...payment, reference: newReference('e2ee-other') }) },
    { variant: 'sealed for another amount', card: await seal({ ...payment, amount: payment.amount + 1 }) },
    { variant: 'sealed for another currency', card: await seal({ ...payment, currency: 'USD' }) },
  ],
});
