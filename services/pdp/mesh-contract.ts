/**
 * The limits the reference policies encode. `meshgate policy check` verifies
 * the policies against these, so a policy edit that loosens one is a finding.
 */

/** Largest single payment, in minor units (10 000.00). */
export const MAX_PAYMENT_AMOUNT = 1_000_000;

/** Currencies the mesh settles. */
export const SETTLEMENT_CURRENCIES: readonly string[] = ['EUR', 'USD', 'GBP'];

/** Transaction-token scopes the policies look for. */
export const SCOPE_WRITE = 'payments:write';
export const SCOPE_READ = 'payments:read';

/** The transaction-token purpose of a payment. */
export const PURPOSE_PAYMENT = 'payment';

/** Actions that move money: amount, currency and limits apply. */
export const AMOUNT_ACTIONS: readonly string[] = ['POST /payments', 'POST /entries'];

/** Actions that read a user's records: a read or write scope applies. */
export const READ_ACTIONS: readonly string[] = ['GET /entries/:id'];

/** Actions on a user's payment or entry: the resource must be the transaction user's, a user the directory knows. */
export const USER_ACTIONS: readonly string[] = [...AMOUNT_ACTIONS, ...READ_ACTIONS];

/** kms' data-key actions: decided by the caller and the key's purpose alone. */
export const DATA_KEY_ACTIONS: readonly string[] = ['POST /v1/data-keys', 'POST /v1/unwrap', 'POST /v1/rewrap'];

/** The only purpose kms hands data keys out for: cards at rest. */
export const KEY_PURPOSE_CARD = 'card';
