/**
 * Redaction paths for every mesh logger. Pino matches paths, not values, so the
 * list names each known secret-bearing field at the top level and under up to
 * three wildcard levels (`*` matches exactly one level). Values that are not at
 * a known field are the leak scanner's job to catch.
 */

/** Header names whose values are credentials. */
export const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-txn-token', 'txn-token', 'x-transaction-token', 'x-subject-token'] as const;

/** Field names whose values are credentials or card data, wherever they appear. */
export const SECRET_FIELDS = [
  'authorization',
  'access_token',
  'refresh_token',
  'id_token',
  'subject_token',
  'actor_token',
  'txn_token',
  'token',
  'accessToken',
  'subjectToken',
  'txnToken',
  'password',
  'passwd',
  'client_secret',
  'clientSecret',
  'private_key',
  'privateKey',
  'privateKeyPem',
  'private_key_pem',
  'keyPem',
  'key_pem',
  'privateJwk',
  'private_jwk',
  'join_token',
  'joinToken',
  'card_number',
  'cardNumber',
  'pan',
  'cvv',
  'cvc',
] as const;

/** Nested fields named by their parent: `card.number` is a card number, `number` alone is not. */
const SECRET_NESTED = ['card.number', 'card.cvv', 'card.cvc', 'card.pan'] as const;

const PREFIXES = ['', '*.', '*.*.', '*.*.*.'] as const;

function buildPaths(): string[] {
  const paths: string[] = [];
  for (const prefix of PREFIXES) {
    for (const header of SECRET_HEADERS) paths.push(`${prefix}headers["${header}"]`);
    for (const field of SECRET_FIELDS) paths.push(`${prefix}${field}`);
    for (const nested of SECRET_NESTED) paths.push(`${prefix}${nested}`);
  }
  return paths;
}

export const REDACT_PATHS: readonly string[] = Object.freeze(buildPaths());

export const REDACTED = '[REDACTED]';
