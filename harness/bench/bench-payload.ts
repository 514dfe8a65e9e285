/** The request every rung serves: a payment body padded to the payload size being measured. */
import type { DecisionRequest } from '../../services/kit/pep/decision-types.ts';
import type { TxnTokenClaims } from '../../services/kit/tokens/claims.ts';
import { spiffeIdFor } from '../../services/kit/spiffe.ts';
import { minorUnits, txnContext } from '../../services/kit/workload/policy-plane.ts';

export const BENCH_USER = 'alice';
export const BENCH_AMOUNT = 25;
export const BENCH_CURRENCY = 'EUR';
export const CLIENT_SERVICE = 'gateway';
export const SERVER_SERVICE = 'payments';
export const PAYLOAD_SIZES = [256, 4096, 32_768] as const;
export const DEFAULT_PAYLOAD = 256;

export function paymentBody(bytes: number): string {
  const base = { amount: BENCH_AMOUNT, currency: BENCH_CURRENCY, card: { number: '4111111111111111', expiry: '12/39' }, reference: 'bench', pad: '' };
  const size = Buffer.byteLength(JSON.stringify(base));
  return JSON.stringify({ ...base, pad: 'x'.repeat(Math.max(0, bytes - size)) });
}

/** The decision the payments route asks for, built from verified facts only (as the policy plane does). */
export function paymentDecision(txn: TxnTokenClaims): DecisionRequest {
  return {
    principal: spiffeIdFor(CLIENT_SERVICE),
    action: 'POST /payments',
    resource: { type: 'Payment', id: 'bench', attributes: { amount: minorUnits(txn.azd.amount), currency: txn.azd.currency, owner: txn.sub } },
    context: txnContext(txn),
    txn: txn.txn,
  };
}
