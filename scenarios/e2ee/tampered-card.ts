import { generateKeyPairSync } from 'node:crypto';
import { cardAttackScenario } from '../../harness/gate/card-attack.ts';
import type { PaymentBody } from '../../harness/actors/payment.ts';
import { formatMinorUnits, parseAmount } from '../../services/kit/amount.ts';
import { sealCard } from '../../services/kit/e2ee/seal-card.ts';

/** Flips one bit in part `index` of a compact JWE (1 encrypted key, 2 iv, 3 ciphertext, 4 tag). */
function flip(jwe: string, index: number): string {
  const parts = jwe.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0]! ^= 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

function withHeader(jwe: string, header: Record<string, unknown>): string {
  const parts = jwe.split('.');
  parts[0] = Buffer.from(JSON.stringify(header)).toString('base64url');
  return parts.join('.');
}

async function sealForOwnKey(payment: PaymentBody, kid: string): Promise<string> {
  const own = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const amount = parseAmount(payment.amount);
  return sealCard(payment.card, { reference: payment.reference, amount: amount.ok ? formatMinorUnits(amount.minor) : String(payment.amount), currency: payment.currency }, { key: own.publicKey, kid });
}

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
    const header = JSON.parse(Buffer.from(sealed.split('.')[0]!, 'base64url').toString()) as { kid: string; epk: Record<string, string> };
    return [
      { variant: 'a bit flipped in the ciphertext', card: flip(sealed, 3) },
      { variant: 'a bit flipped in the authentication tag', card: flip(sealed, 4) },
      { variant: 'a bit flipped in the wrapped key', card: flip(sealed, 1) },
      // An invalid-curve attack: the ephemeral public key is a point that is not on P-256.
      { variant: 'an ephemeral key off the curve', card: withHeader(sealed, { ...header, epk: { ...header.epk, y: Buffer.alloc(32, 7).toString('base64url') } }) },
      // Sealed for a key of the attacker's that claims payments' current kid.
      { variant: 'sealed for another key under payments\' kid', card: await sealForOwnKey(payment, header.kid) },
    ];
  },
});
