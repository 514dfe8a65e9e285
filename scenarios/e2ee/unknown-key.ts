import { generateKeyPairSync } from 'node:crypto';
import { cardAttackScenario } from '../../harness/gate/card-attack.ts';
import { formatMinorUnits, parseAmount } from '../../services/kit/amount.ts';
import { sealCard } from '../../services/kit/e2ee/seal-card.ts';

export const scenario = cardAttackScenario({
  meta: {
    id: 'e2ee.unknown-key',
    title: 'A card sealed for a key payments does not hold is refused by name',
    plane: 'e2ee',
    severity: 'medium',
    threat: 'A client (or a gateway that substituted a key) seals cards for a key that is not, or no longer, payments’ own.',
    tags: ['e2ee', 'rotation'],
    control: { kind: 'code', location: 'services/payments/encryption-keys.ts', description: 'a card opens only with a key payments holds: current, next, or retired within its window' },
  },
  reason: 'card_key_unknown',
  tamper: async (_ctx, payment) => {
    const own = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const amount = parseAmount(payment.amount);
    const binding = { reference: payment.reference, amount: amount.ok ? formatMinorUnits(amount.minor) : String(payment.amount), currency: payment.currency };
    return [
      { variant: 'a key id payments never published', card: await sealCard(payment.card, binding, { key: own.publicKey, kid: 'attacker-key-1' }) },
      { variant: 'a key id shaped like payments’ own, never published', card: await sealCard(payment.card, binding, { key: own.publicKey, kid: 'AAAAAAAAAAAAAAAA' }) },
    ];
  },
});
