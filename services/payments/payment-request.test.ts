import { describe, expect, test } from 'vitest';
import { validatePaymentRequest } from './payment-request.ts';

const body = (amount: unknown, extra: Record<string, unknown> = {}) => ({ amount, currency: 'EUR', card: { number: '4111111111111111', expiry: '12/39' }, reference: 'r-1', ...extra });

describe('payment request validation', () => {
  test.each([[19.99, 1999], [1.1, 110], [0.29, 29], [4.35, 435], [99_999.99, 9_999_999]])('%d is accepted as %d minor units', (amount, minor) => {
    expect(validatePaymentRequest(body(amount))).toMatchObject({ ok: true, value: { amount, amountMinor: minor } });
  });
  test.each([0.001, 0, -5, '25', 1_000_000.01])('%j is refused', (amount) => {
    expect(validatePaymentRequest(body(amount)).ok).toBe(false);
  });
  test('an attacker-chosen field name is cut short in the problem list', () => {
    const checked = validatePaymentRequest(body(25, { ['x'.repeat(500)]: 1 }));
    expect(checked.ok ? '' : checked.problems.join()).toMatch(/^x{40}\.\.\.: unknown field$/);
  });
});
