/** The request body of a payment, and a valid one to start from. */
export interface PaymentBody {
  amount: number;
  currency: string;
  card: { number: string; expiry: string };
  reference: string;
}

export function samplePayment(reference: string, overrides: Partial<PaymentBody> = {}): PaymentBody {
  return { amount: 25, currency: 'EUR', card: { number: '4111111111111111', expiry: '12/39' }, reference, ...overrides };
}
