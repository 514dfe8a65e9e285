/** What a compromised hop can do to a sealed card (a compact JWE) without payments' private key. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { sealCard } from '../../services/kit/e2ee/seal-card.ts';
import type { PaymentBody } from '../actors/payment.ts';
import { bindingOf } from '../actors/card-sealer.ts';

/** The protected header, decoded. */
export function headerOf(jwe: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwe.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
}

/** The sealed card with its protected header replaced and the rest kept: a downgrade or a swapped key on the wire. */
export function withHeader(jwe: string, header: Record<string, unknown>): string {
  const parts = jwe.split('.');
  parts[0] = Buffer.from(JSON.stringify(header)).toString('base64url');
  return parts.join('.');
}

/** One bit flipped in part `index` (1 encrypted key, 2 iv, 3 ciphertext, 4 tag). */
export function flipBit(jwe: string, index: number): string {
  const parts = jwe.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0]! ^= 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

/** The payment's card sealed for a key of the attacker's own (a fresh one unless given), under any key id. */
export async function sealForOwnKey(payment: PaymentBody, kid: string, key: KeyObject = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey): Promise<string> {
  return sealCard(payment.card, bindingOf(payment), { key, kid });
}
