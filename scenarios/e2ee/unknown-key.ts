import { sealForOwnKey } from '../../harness/attacks/sealed-card-tamper.ts';
import { cardAttackScenario } from '../../harness/gate/card-attack.ts';

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
  tamper: async (_ctx, payment) => [
    { variant: 'a key id payments never published', card: await sealForOwnKey(payment, 'attacker-key-1') },
    { variant: 'a key id shaped like payments’ own, never published', card: await sealForOwnKey(payment, 'AAAAAAAAAAAAAAAA') },
  ],
});
