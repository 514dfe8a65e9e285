/** The request body of a payment, and a valid one to start from. */
export interface PaymentBody {
  amount: number;
  currency: string;
  card: { number: string; expiry: string };
  reference: string;
}

/** The documented Visa test number every sample payment carries (not a real card). */
export const SAMPLE_CARD_NUMBER = '4111111111111111';

export function samplePayment(reference: string, overrides: Partial<PaymentBody> = {}): PaymentBody {
  return { amount: 25, currency: 'EUR', card: { number: SAMPLE_CARD_NUMBER, expiry: '12/39' }, reference, ...overrides };
}
