import { cardAttackScenario } from '../../harness/gate/card-attack.ts';

/** Flips one bit in part `index` of a compact JWE (1 encrypted key, 2 iv, 3 ciphertext, 4 tag). */
function flip(jwe: string, index: number): string {
  const parts = jwe.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0]! ^= 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

export const scenario = cardAttackScenario({
  meta: {
    id: 'e2ee.tampered-card',
    title: 'A sealed card altered on its way is refused, not opened',
    plane: 'e2ee',
    severity: 'critical',
    threat: 'A compromised gateway flips bits in the sealed card to change it undetected.',
    tags: ['e2ee', 'integrity'],
    control: { kind: 'code', location: 'services/payments/encryption-keys.ts', description: 'A256GCM authenticates the ciphertext and the protected header' },
  },
  reason: 'card_unreadable',
  tamper: async (_ctx, payment, seal) => {
    const sealed = await seal(payment);
    return [
      { variant: 'a bit flipped in the ciphertext', card: flip(sealed, 3) },
      { variant: 'a bit flipped in the authentication tag', card: flip(sealed, 4) },
      { variant: 'a bit flipped in the wrapped key', card: flip(sealed, 1) },
    ];
  },
});
