/**
 * A payment booked for real and its card as the ledger stores it (ciphertext
 * and wrapped key): the starting point of every scenario about cards at rest.
 */
import { samplePayment } from '../actors/payment.ts';
import type { StoredCardRecord } from '../engine/operator-api.ts';
import type { MeshContext } from './mesh-context.ts';
import { newReference } from './reference.ts';

export interface BookedCard {
  reference: string;
  status: number;
  stored: StoredCardRecord | undefined;
}

export async function bookStoredCard(ctx: MeshContext, label: string): Promise<BookedCard> {
  const reference = newReference(label);
  const res = await ctx.user.pay(await ctx.user.login('alice'), samplePayment(reference));
  const [stored] = await ctx.engine.operator.storedCards(reference);
  return { reference, status: res.status, stored };
}

/** Payments reads the stored card back through kms: its status, reason and what it opened (never the number). */
export async function openStored(ctx: MeshContext, card: BookedCard): Promise<{ status: number; error?: string; keyVersion?: number; cardLast4?: string }> {
  if (!card.stored) return { status: 0, error: 'nothing stored' };
  const res = await ctx.engine.operator.openStoredCard(card.reference, card.stored);
  const body = res.json<{ error?: string; keyVersion?: number; cardLast4?: string }>();
  return { status: res.status, ...body };
}
