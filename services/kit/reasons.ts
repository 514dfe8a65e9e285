/**
 * Stable rejection reason codes. Logs, metrics, spans, HTTP error bodies and
 * reports all speak these exact strings, so a scenario can join them.
 */
export const TLS_REASONS = [
  'cert_missing',
  'cert_untrusted',
  'cert_expired',
  'cert_not_yet_valid',
  'cert_revoked',
  'svid_invalid',
  'spiffe_id_not_allowed',
  'tls_version',
  'tls_plaintext',
  'tls_handshake_failed',
] as const;

export const TOKEN_REASONS = [
  'token_missing',
  'token_malformed',
  'token_bad_signature',
  'token_alg_not_allowed',
  'token_unknown_kid',
  'token_key_revoked',
  'token_expired',
  'token_not_yet_valid',
  'token_wrong_issuer',
  'token_wrong_audience',
  'token_wrong_type',
  'token_replayed',
  'token_cert_mismatch',
  'token_too_old',
  'token_cert_revoked',
  'replay_cache_full',
] as const;

export const POLICY_REASONS = ['pdp_denied', 'pdp_unavailable', 'pdp_error'] as const;

/** Why payments refused a card that was to be sealed end to end for it (a JWE). */
export const CARD_REASONS = [
  'card_not_encrypted',
  'card_malformed',
  'card_alg_not_allowed',
  'card_key_unknown',
  'card_unreadable',
  'card_binding_mismatch',
] as const;

/** Why the key-management workload refused to hand out, unwrap or rewrap a data key. */
export const KMS_REASONS = [
  'kms_key_revoked',
  'kms_key_unknown',
  'kms_key_in_use',
  'kms_unwrap_failed',
] as const;

export const REQUEST_REASONS = [
  'body_invalid',
  'body_too_large',
  'header_too_large',
  'not_found',
  'method_not_allowed',
  'header_ambiguous',
  'login_failed',
  'login_throttled',
  'rate_limited',
  'reference_conflict',
  'sts_unavailable',
  'ca_unavailable',
  'upstream_unavailable',
  'txn_token_refused',
  'join_token_unknown',
  'join_token_used',
  'join_token_expired',
  'internal_error',
] as const;

export type TlsReason = (typeof TLS_REASONS)[number];
export type TokenReason = (typeof TOKEN_REASONS)[number];
export type PolicyReason = (typeof POLICY_REASONS)[number];
export type RequestReason = (typeof REQUEST_REASONS)[number];
export type CardReason = (typeof CARD_REASONS)[number];
export type KmsReason = (typeof KMS_REASONS)[number];
export type ReasonCode = TlsReason | TokenReason | PolicyReason | CardReason | KmsReason | RequestReason;

export const ALL_REASONS: readonly ReasonCode[] = [...TLS_REASONS, ...TOKEN_REASONS, ...POLICY_REASONS, ...CARD_REASONS, ...KMS_REASONS, ...REQUEST_REASONS];

export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && (ALL_REASONS as readonly string[]).includes(value);
}
