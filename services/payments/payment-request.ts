/**
 * Strict validation of a payment request: unknown fields, wrong types and bad
 * values are each reported (all of them, not the first), never echoing the card.
 */
import { parseAmount } from '../kit/amount.ts';
import { fieldName } from '../kit/http/json-body.ts';
import { luhnValid } from '../kit/luhn.ts';

export interface PaymentRequest {
  amount: number;
  currency: string;
  /** The card as the client sent it: sealed for payments (a compact JWE), or in clear. */
  card: { number: string; expiry: string } | string;
  reference: string;
  /** The amount in integer minor units, read exactly from the decimal the client sent. */
  amountMinor: number;
}

export const MAX_AMOUNT = 1_000_000;
const TOP_FIELDS = new Set(['amount', 'currency', 'card', 'reference']);
const CARD_FIELDS = new Set(['number', 'expiry']);

export function validatePaymentRequest(body: unknown, now = new Date()): { ok: true; value: PaymentRequest } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { ok: false, problems: ['body must be a JSON object'] };
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) if (!TOP_FIELDS.has(key)) problems.push(`${fieldName(key)}: unknown field`);
  const amount = typeof b.amount === 'number' ? parseAmount(b.amount) : ({ ok: false, problem: 'must be a number' } as const);
  if (!amount.ok) problems.push(`amount: ${amount.problem}`);
  else if (amount.minor > MAX_AMOUNT * 100) problems.push(`amount: must be at most ${MAX_AMOUNT}`);
  if (typeof b.currency !== 'string' || !/^[A-Z]{3}$/.test(b.currency)) problems.push('currency: must be a three-letter ISO 4217 code');
  if (typeof b.reference !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(b.reference)) problems.push('reference: must be 1-64 characters of A-Z a-z 0-9 _ -');
  // A sealed card (a string) is checked when it is opened, against this request's reference and amount.
  if (typeof b.card !== 'string') problems.push(...cardProblems(b.card, now));
  if (problems.length) return { ok: false, problems };
  return { ok: true, value: { ...(b as unknown as PaymentRequest), amountMinor: amount.ok ? amount.minor : 0 } };
}

/** Every problem with a card in clear (or as it came out of its seal). */
export function cardProblems(value: unknown, now = new Date()): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return ['card: must be an object with number and expiry, or a sealed card (a compact JWE)'];
  const problems: string[] = [];
  const card = value as Record<string, unknown>;
  for (const key of Object.keys(card)) if (!CARD_FIELDS.has(key)) problems.push(`card.${fieldName(key)}: unknown field`);
  if (typeof card.number !== 'string' || !/^\d{12,19}$/.test(card.number) || !luhnValid(card.number)) problems.push('card.number: must be a valid card number');
  if (typeof card.expiry !== 'string' || !/^(0[1-9]|1[0-2])\/\d{2}$/.test(card.expiry)) problems.push('card.expiry: must be MM/YY');
  else {
    const [mm, yy] = card.expiry.split('/').map(Number) as [number, number];
    const endOfMonth = new Date(Date.UTC(2000 + yy, mm, 1));
    if (endOfMonth <= now) problems.push('card.expiry: card has expired');
  }
  return problems;
}
