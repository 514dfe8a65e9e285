/**
 * Claim shapes and type names shared by the token service (which mints) and
 * every workload (which verifies).
 */

/** RFC 9068 access token media type (the `typ` header). */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
/** Transaction token media type (OAuth Transaction Tokens draft). */
export const TXN_TOKEN_TYPE = 'txn+jwt';

/** RFC 8693 token type identifiers. */
export const TOKEN_TYPE_ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
export const TOKEN_TYPE_TXN_TOKEN = 'urn:ietf:params:oauth:token-type:txn_token';

/** RFC 8705 certificate confirmation. */
export interface CertConfirmation {
  'x5t#S256': string;
}

export interface AccessTokenClaims {
  iss: string;
  /** The caller's SPIFFE ID, or the user id for end-user tokens. */
  sub: string;
  /** Exactly one audience; a one-element array is accepted on input. */
  aud: string | string[];
  iat: number;
  nbf?: number;
  exp: number;
  jti: string;
  client_id: string;
  scope?: string;
  /** Present on workload tokens; absent on end-user tokens. */
  cnf?: CertConfirmation;
}

export interface RequestContext {
  req_ip?: string;
  /** How the user authenticated, e.g. "pwd". */
  authn: string;
}

export interface AuthorizationDetails {
  amount: number;
  currency: string;
}

export interface TxnTokenClaims {
  iss: string;
  aud: string;
  /** The end user the transaction acts for. */
  sub: string;
  scope: string;
  /** The request id the transaction belongs to. */
  txn: string;
  /** The purpose, e.g. "payment". */
  purp: string;
  rctx: RequestContext;
  azd: AuthorizationDetails;
  iat: number;
  exp: number;
  jti: string;
}
