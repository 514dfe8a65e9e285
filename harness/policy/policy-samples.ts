/**
 * Representative resources and contexts for the least-privilege matrix: one
 * request that satisfies the mesh contract, then variants that each break one
 * rule of it at its boundary (amount 0/1, limit/limit+1, ceiling/ceiling+1,
 * another user's record, an unknown user, a currency outside the set, a
 * missing scope, a different purpose, a data key of another purpose).
 */
import { KEY_PURPOSE_CARD, MAX_PAYMENT_AMOUNT, PURPOSE_PAYMENT, SCOPE_READ, SCOPE_WRITE, SETTLEMENT_CURRENCIES } from '../../services/pdp/mesh-contract.ts';
import type { DirectoryUser } from '../../services/pdp/user-directory.ts';

export interface Sample {
  user: string;
  owner: string;
  amount: number;
  currency: string;
  txnAmount: number;
  txnCurrency: string;
  scope: string[];
  purpose: string;
  /** What a data key at kms protects (DataKey.purpose). */
  keyPurpose: string;
}

/** A directory user whose limit is above the ceiling, so the ceiling is tested on its own. */
export const CEILING_PROBE_USER: DirectoryUser = { id: 'check-ceiling-probe', limit: MAX_PAYMENT_AMOUNT * 10 };
export const UNKNOWN_USER = 'check-unknown-user';

export function policySamples(users: readonly DirectoryUser[]): Sample[] {
  const first = users[0];
  if (!first) throw new TypeError('policySamples: users must not be empty');
  const other = users.find((u) => u.id !== first.id)?.id ?? UNKNOWN_USER;
  const base: Sample = { user: first.id, owner: first.id, amount: 1_000, currency: SETTLEMENT_CURRENCIES[0] ?? 'EUR', txnAmount: 1_000, txnCurrency: SETTLEMENT_CURRENCIES[0] ?? 'EUR', scope: [SCOPE_READ, SCOPE_WRITE], purpose: PURPOSE_PAYMENT, keyPurpose: KEY_PURPOSE_CARD };
  const out: Sample[] = [base];
  const amount = (user: string, value: number): Sample => ({ ...base, user, owner: user, amount: value, txnAmount: value });
  for (const u of users) {
    for (const value of [-1, 0, 1, u.limit - 1, u.limit, u.limit + 1, MAX_PAYMENT_AMOUNT, MAX_PAYMENT_AMOUNT + 1]) out.push(amount(u.id, value));
  }
  out.push({ ...base, user: UNKNOWN_USER, owner: UNKNOWN_USER });
  out.push({ ...base, owner: other });
  for (const c of [...SETTLEMENT_CURRENCIES, 'XXX', '']) out.push({ ...base, currency: c, txnCurrency: c });
  out.push({ ...base, txnCurrency: SETTLEMENT_CURRENCIES[1] ?? 'XXX' });
  out.push({ ...base, txnAmount: base.amount - 1 }, { ...base, txnAmount: base.amount + 1 });
  for (const scope of [[], [SCOPE_READ], [SCOPE_WRITE], ['admin']]) out.push({ ...base, scope });
  out.push({ ...base, purpose: 'refund' });
  out.push({ ...base, keyPurpose: 'ledger-export' });
  return out;
}
