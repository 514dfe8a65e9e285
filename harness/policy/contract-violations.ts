/** What an allowed request on a declared edge must satisfy; each broken rule is named. */
import { AMOUNT_ACTIONS, DATA_KEY_ACTIONS, KEY_PURPOSE_CARD, MAX_PAYMENT_AMOUNT, PURPOSE_PAYMENT, READ_ACTIONS, SCOPE_READ, SCOPE_WRITE, SETTLEMENT_CURRENCIES, USER_ACTIONS } from '../../services/pdp/mesh-contract.ts';
import type { DirectoryUser } from '../../services/pdp/user-directory.ts';
import type { Sample } from './policy-samples.ts';

export function contractViolations(action: string, s: Sample, users: readonly DirectoryUser[]): string[] {
  const out: string[] = [];
  const user = users.find((u) => u.id === s.user);
  if (USER_ACTIONS.includes(action)) {
    if (!user) out.push('user unknown to the directory');
    if (s.owner !== s.user) out.push("another user's resource");
  }
  if (DATA_KEY_ACTIONS.includes(action) && s.keyPurpose !== KEY_PURPOSE_CARD) out.push(`data key for a purpose other than "${KEY_PURPOSE_CARD}"`);
  if (AMOUNT_ACTIONS.includes(action)) {
    if (s.amount < 1) out.push('amount below 1');
    if (s.amount > MAX_PAYMENT_AMOUNT) out.push(`amount above the ceiling ${MAX_PAYMENT_AMOUNT}`);
    if (user && s.amount > user.limit) out.push("amount above the user's limit");
    if (!SETTLEMENT_CURRENCIES.includes(s.currency)) out.push('currency outside the settlement set');
    if (s.amount !== s.txnAmount) out.push('amount differs from the approved amount');
    if (s.currency !== s.txnCurrency) out.push('currency differs from the approved currency');
    if (!s.scope.includes(SCOPE_WRITE)) out.push(`scope without ${SCOPE_WRITE}`);
    if (s.purpose !== PURPOSE_PAYMENT) out.push(`purpose other than "${PURPOSE_PAYMENT}"`);
  }
  if (READ_ACTIONS.includes(action) && !s.scope.includes(SCOPE_READ) && !s.scope.includes(SCOPE_WRITE)) out.push('scope without read or write');
  return out;
}
