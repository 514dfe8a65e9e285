import { flipBit, headerOf, sealForOwnKey, withHeader } from '../../harness/attacks/sealed-card-tamper.ts';
import { cardAttackScenario } from '../../harness/gate/card-attack.ts';

export const scenario = cardAttackScenario({
  meta: {
    id: 'e2ee.tampered-card',
    title: 'A sealed card altered on its way is refused, not opened',
    plane: 'e2ee',
    severity: 'critical',
    threat: 'A compromised gateway flips bits in the sealed card to change it undetected, or swaps in a card it sealed itself (for its own key, or with an ephemeral key off the curve to probe payments’ private key).',
    tags: ['e2ee', 'integrity'],
    control: { kind: 'code', location: 'services/payments/encryption-keys.ts', description: 'A256GCM authenticates the ciphertext and the protected header' },
  },
  reason: 'card_unreadable',
  tamper: async (_ctx, payment, seal) => {
    const sealed = await seal(payment);
    const header = headerOf(sealed) as { kid: string; epk: Record<string, string> };
    return [
      { variant: 'a bit flipped in the ciphertext', card: flipBit(sealed, 3) },
      { variant: 'a bit flipped in the authentication tag', card: flipBit(sealed, 4) },
      { variant: 'a bit flipped in the wrapped key', card: flipBit(sealed, 1) },
      // An invalid-curve attack: the ephemeral public key is a point that is not on P-256.
      { variant: 'an ephemeral key off the curve', card: withHeader(sealed, { ...header, epk: { ...header.epk, y: Buffer.alloc(32, 7).toString('base64url') } }) },
      { variant: 'sealed for another key under payments’ kid', card: await sealForOwnKey(payment, header.kid) },
    ];
  },
});
