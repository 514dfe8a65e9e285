/** The client's side of the sealed card: encrypt it for payments' checked key, bound to its payment. */
import { CompactEncrypt } from 'jose';
import type { KeyObject } from 'node:crypto';
import { BINDING, CARD_CONTENT_ALGORITHMS, CARD_KEY_ALGORITHMS, type CardBinding, type CardPlaintext } from './sealed-card.ts';

export async function sealCard(card: CardPlaintext, binding: CardBinding, recipient: { key: KeyObject; kid: string }): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ number: card.number, expiry: card.expiry })))
    .setProtectedHeader({ alg: CARD_KEY_ALGORITHMS[0], enc: CARD_CONTENT_ALGORITHMS[0], kid: recipient.kid, [BINDING.reference]: binding.reference, [BINDING.amount]: binding.amount, [BINDING.currency]: binding.currency })
    .encrypt(recipient.key);
}
