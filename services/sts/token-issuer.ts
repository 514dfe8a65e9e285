/**
 * Mints the mesh's three kinds of token, all signed by the current key:
 * workload access tokens (certificate-bound, one audience), end-user tokens
 * (for the gateway, no cnf) and transaction tokens (for the trust domain).
 */
import { randomBytes } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { systemClock, type Clock } from '../kit/clock.ts';
import { spiffeIdFor } from '../kit/spiffe.ts';
import { ACCESS_TOKEN_TYPE, TXN_TOKEN_TYPE, type AccessTokenClaims, type AuthorizationDetails, type RequestContext, type TxnTokenClaims } from '../kit/tokens/claims.ts';
import { TRUST_DOMAIN_AUDIENCE } from '../kit/tokens/txn-token-verifier.ts';
import type { SigningKeys } from './signing-keys.ts';

export const STS_ISSUER = spiffeIdFor('sts');
export const GATEWAY_ID = spiffeIdFor('gateway');

export interface TokenIssuerOptions {
  keys: SigningKeys;
  issuer?: string;
  clock?: Clock;
  accessTokenTtlSeconds?: number;
  userTokenTtlSeconds?: number;
  txnTokenTtlSeconds?: number;
}

export interface IssuedJwt<C> {
  token: string;
  claims: C;
  kid: string;
  expiresIn: number;
}

export interface AccessTokenRequest {
  /** The caller's SPIFFE ID (from its mTLS certificate). */
  subject: string;
  /** The one target workload's SPIFFE ID. */
  audience: string;
  /** x5t#S256 of the caller's certificate. */
  certThumbprint: string;
}

export interface UserTokenRequest {
  userId: string;
  scopes: readonly string[];
}

export interface TxnTokenRequest {
  subject: string;
  scopes: readonly string[];
  txn: string;
  purp: string;
  rctx: RequestContext;
  azd: AuthorizationDetails;
}

const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

function ttl(name: string, value: number | undefined, fallback: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v <= 0) throw new TypeError(`TokenIssuer: ${name} must be a positive whole number of seconds, got ${String(v)}`);
  // A token outliving its key's retention would fail verification after the key is removed.
  if (v > max) throw new TypeError(`TokenIssuer: ${name} (${v}) exceeds the signing keys' maxTokenLifetimeSeconds (${max})`);
  return v;
}

function requireString(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`TokenIssuer: ${name} must be a non-empty string`);
}

export class TokenIssuer {
  readonly issuer: string;
  readonly keys: SigningKeys;
  readonly accessTokenTtlSeconds: number;
  readonly userTokenTtlSeconds: number;
  readonly txnTokenTtlSeconds: number;
  readonly #clock: Clock;

  constructor(options: TokenIssuerOptions) {
    if (!options?.keys) throw new TypeError('TokenIssuer: keys must be a SigningKeys');
    this.keys = options.keys;
    this.issuer = options.issuer ?? STS_ISSUER;
    requireString('issuer', this.issuer);
    this.#clock = options.clock ?? systemClock;
    const max = options.keys.maxTokenLifetimeSeconds;
    this.accessTokenTtlSeconds = ttl('accessTokenTtlSeconds', options.accessTokenTtlSeconds, 60, max);
    this.userTokenTtlSeconds = ttl('userTokenTtlSeconds', options.userTokenTtlSeconds, Math.min(300, max), max);
    this.txnTokenTtlSeconds = ttl('txnTokenTtlSeconds', options.txnTokenTtlSeconds, 30, max);
  }

  issueAccessToken(request: AccessTokenRequest): Promise<IssuedJwt<AccessTokenClaims>> {
    requireString('subject', request?.subject);
    requireString('audience', request.audience);
    if (typeof request.certThumbprint !== 'string' || !THUMBPRINT.test(request.certThumbprint)) throw new TypeError('TokenIssuer: certThumbprint must be a base64url SHA-256 (43 characters)');
    const { iat, exp } = this.#window(this.accessTokenTtlSeconds);
    const claims: AccessTokenClaims = {
      iss: this.issuer,
      sub: request.subject,
      aud: request.audience,
      iat,
      nbf: iat,
      exp,
      jti: randomId(),
      client_id: request.subject,
      cnf: { 'x5t#S256': request.certThumbprint },
    };
    return this.#sign(claims, ACCESS_TOKEN_TYPE, this.accessTokenTtlSeconds);
  }

  issueUserToken(request: UserTokenRequest): Promise<IssuedJwt<AccessTokenClaims>> {
    requireString('userId', request?.userId);
    const { iat, exp } = this.#window(this.userTokenTtlSeconds);
    const claims: AccessTokenClaims = { iss: this.issuer, sub: request.userId, aud: GATEWAY_ID, iat, nbf: iat, exp, jti: randomId(), client_id: GATEWAY_ID, scope: request.scopes.join(' ') };
    return this.#sign(claims, ACCESS_TOKEN_TYPE, this.userTokenTtlSeconds);
  }

  issueTxnToken(request: TxnTokenRequest): Promise<IssuedJwt<TxnTokenClaims>> {
    requireString('subject', request?.subject);
    requireString('txn', request.txn);
    requireString('purp', request.purp);
    const { iat, exp } = this.#window(this.txnTokenTtlSeconds);
    const rctx: RequestContext = request.rctx.req_ip === undefined ? { authn: request.rctx.authn } : { req_ip: request.rctx.req_ip, authn: request.rctx.authn };
    const claims: TxnTokenClaims = {
      iss: this.issuer,
      aud: TRUST_DOMAIN_AUDIENCE,
      sub: request.subject,
      scope: request.scopes.join(' '),
      txn: request.txn,
      purp: request.purp,
      rctx,
      azd: { amount: request.azd.amount, currency: request.azd.currency },
      iat,
      exp,
      jti: randomId(),
    };
    return this.#sign(claims, TXN_TOKEN_TYPE, this.txnTokenTtlSeconds);
  }

  #window(ttlSeconds: number): { iat: number; exp: number } {
    const iat = Math.floor(this.#clock.now() / 1000);
    return { iat, exp: iat + ttlSeconds };
  }

  async #sign<C extends object>(claims: C, typ: string, expiresIn: number): Promise<IssuedJwt<C>> {
    const { token, kid } = await this.keys.sign({ ...claims } as JWTPayload, typ);
    return { token, claims, kid, expiresIn };
  }
}

export function randomId(): string {
  return randomBytes(16).toString('base64url');
}
