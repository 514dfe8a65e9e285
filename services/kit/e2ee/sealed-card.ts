/**
 * The sealed card: a compact JWE (RFC 7516) that only payments can open. Key
 * agreement ECDH-ES+A256KW on P-256 (ECDH, Concat KDF, AES key wrap) and content
 * encryption A256GCM; the protected header binds the ciphertext to its payment
 * (reference, amount in the mesh's decimal wire format, currency), so a card
 * sealed for one payment cannot be moved to another. Nothing else is accepted.
 */

/** Where the gateway's public port serves payments' encryption key set. */
export const ENCRYPTION_KEYS_PATH = '/.well-known/payments-encryption-keys';

/** The only key-management algorithms payments opens (no RSA1_5, PBES2, dir, ...). */
export const CARD_KEY_ALGORITHMS = ['ECDH-ES+A256KW'] as const;
/** The only content encryption. */
export const CARD_CONTENT_ALGORITHMS = ['A256GCM'] as const;

/** Protected header members that bind the card to its payment. */
export const BINDING = { reference: 'mg_ref', amount: 'mg_amt', currency: 'mg_cur' } as const;

/** The encryption key set payments publishes, each key certified for payments' SPIFFE ID by the mesh CA. */
export interface EncryptionJwks {
  keys: EncryptionJwk[];
}

export interface EncryptionJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  use: 'enc';
  alg: (typeof CARD_KEY_ALGORITHMS)[number];
  /** Base64 DER: the key's certificate, issued by the mesh CA (keyUsage keyAgreement). */
  x5c: string[];
  /** next: published ahead, not yet the one to seal for; current: seal for it. Retired keys are no longer published. */
  status: 'current' | 'next';
}

/** The card as sealed: exactly what payments needs, nothing more. */
export interface CardPlaintext {
  number: string;
  expiry: string;
}

/** What the sealed card is bound to. */
export interface CardBinding {
  reference: string;
  /** The amount in the mesh's decimal wire format, e.g. "25" or "19.99" (formatMinorUnits). */
  amount: string;
  currency: string;
}

/** A compact JWE has five base64url parts; the encrypted key part is empty only for ECDH-ES direct, which payments refuses. */
export function looksLikeCompactJwe(value: unknown): value is string {
  return typeof value === 'string' && value.length < 8192 && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(value);
}
