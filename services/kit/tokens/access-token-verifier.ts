/**
 * Verifies the per-hop access token (RFC 9068 profile, certificate-bound per
 * RFC 8705) that a caller presents with `Authorization: Bearer`.
 */
import { timingSafeEqual } from 'node:crypto';
import { systemClock, type Clock } from '../clock.ts';
import type { TokenReason } from '../reasons.ts';
import { checkAudienceShape, checkTimes, isNonEmptyString, isNumericDate, singleAudience, validUntilMs } from './claim-checks.ts';
import { ACCESS_TOKEN_TYPE, type AccessTokenClaims } from './claims.ts';
import type { ConnectionTokenCache } from './connection-token-cache.ts';
import type { JwksCache } from './jwks-cache.ts';
import { verifySignedJwt } from './signed-jwt.ts';
import { DEFAULT_VERIFIED_TOKEN_ENTRIES, tokenDigest, VerifiedTokenCache } from './verified-token-cache.ts';

export const DEFAULT_ALGORITHMS: readonly string[] = ['ES256', 'EdDSA'];
/** HS256 only for the mutant that widens the allow-list: it is verified with the public key as the secret. */
const SUPPORTED_ALGORITHMS = new Set(['ES256', 'EdDSA', 'HS256']);

export interface VerifierChecks {
  /** Turned off only by mutation tests. */
  audience: boolean;
  /** Turned off only by mutation tests. */
  binding: boolean;
  /** Turned off only by mutation tests: the typ header is not checked. */
  type: boolean;
}

export interface AccessTokenVerifierOptions {
  issuer: string;
  /** This workload's SPIFFE ID. */
  audience: string;
  jwks: JwksCache;
  clock?: Clock;
  algorithms?: readonly string[];
  skewSeconds?: number;
  /** Refuse tokens issued longer ago than this (default 300 s). */
  maxAgeSeconds?: number;
  /**
   * false only where callers have no certificate (end users on the gateway's
   * public port): there a token carrying cnf is refused, since its
   * proof of possession can't be checked.
   */
  certBound?: boolean;
  checks?: Partial<VerifierChecks>;
  /** Tokens remembered across connections once verified (0: none, every new connection verifies again). */
  verifiedTokenEntries?: number;
}

export type AccessTokenResult = { ok: true; claims: AccessTokenClaims; kid: string; cached: boolean } | { ok: false; reason: TokenReason; kid?: string };

export function assertAlgorithms(algorithms: readonly string[]): void {
  if (!Array.isArray(algorithms) || algorithms.length === 0) throw new TypeError('algorithms must be a non-empty array');
  for (const alg of algorithms) {
    if (!SUPPORTED_ALGORITHMS.has(alg)) throw new TypeError(`algorithm "${String(alg)}" is not allowed; choose from ${[...SUPPORTED_ALGORITHMS].join(', ')}`);
  }
}

export function assertSeconds(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a non-negative number of seconds, got ${String(value)}`);
}

function sameThumbprint(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class AccessTokenVerifier {
  readonly issuer: string;
  readonly audience: string;
  readonly #jwks: JwksCache;
  readonly #clock: Clock;
  readonly #algorithms: readonly string[];
  readonly #skew: number;
  readonly #maxAge: number;
  readonly #certBound: boolean;
  readonly #checks: VerifierChecks;
  readonly #verified: VerifiedTokenCache | undefined;

  constructor(options: AccessTokenVerifierOptions) {
    if (!isNonEmptyString(options?.issuer)) throw new TypeError('AccessTokenVerifier: issuer must be a non-empty string');
    if (!isNonEmptyString(options.audience)) throw new TypeError('AccessTokenVerifier: audience must be a non-empty string');
    if (!options.jwks) throw new TypeError('AccessTokenVerifier: jwks must be a JwksCache');
    this.issuer = options.issuer;
    this.audience = options.audience;
    this.#jwks = options.jwks;
    this.#clock = options.clock ?? systemClock;
    this.#algorithms = [...(options.algorithms ?? DEFAULT_ALGORITHMS)];
    assertAlgorithms(this.#algorithms);
    this.#skew = options.skewSeconds ?? 5;
    assertSeconds('skewSeconds', this.#skew);
    this.#maxAge = options.maxAgeSeconds ?? 300;
    assertSeconds('maxAgeSeconds', this.#maxAge);
    this.#certBound = options.certBound ?? true;
    this.#checks = { audience: options.checks?.audience ?? true, binding: options.checks?.binding ?? true, type: options.checks?.type ?? true };
    const entries = options.verifiedTokenEntries ?? DEFAULT_VERIFIED_TOKEN_ENTRIES;
    this.#verified = entries === 0 ? undefined : new VerifiedTokenCache(entries);
  }

  /**
   * @param peerCertThumbprint base64url SHA-256 of the peer's DER certificate (x5t#S256); '' where certBound is false.
   * @param connection the cache attached to this TLS connection, when there is one.
   */
  async verify(token: string | undefined, peerCertThumbprint: string, connection?: ConnectionTokenCache): Promise<AccessTokenResult> {
    if (token === undefined || token === '') return { ok: false, reason: 'token_missing' };
    if (typeof token !== 'string') return { ok: false, reason: 'token_malformed' };
    if (typeof peerCertThumbprint !== 'string') throw new TypeError('peerCertThumbprint must be a string');
    const nowMs = this.#clock.now();
    const hit = connection?.get(token, this, peerCertThumbprint, this.#jwks.version, nowMs);
    if (hit) return { ok: true, claims: hit.claims, kid: hit.kid, cached: true };
    // Seen on another connection: everything but the binding to this connection's certificate still holds.
    const digest = this.#verified ? tokenDigest(token) : '';
    const known = this.#verified?.get(digest, this.#jwks.version, nowMs);
    if (known) {
      const bindingFailure = this.#checkBinding(known.claims.cnf, peerCertThumbprint);
      if (bindingFailure) return { ok: false, reason: bindingFailure, kid: known.kid };
      connection?.set(token, { ...known, thumbprint: peerCertThumbprint, owner: this });
      return { ok: true, claims: known.claims, kid: known.kid, cached: true };
    }

    const signed = await verifySignedJwt(token, { jwks: this.#jwks, algorithms: this.#algorithms, type: this.#checks.type ? ACCESS_TOKEN_TYPE : undefined });
    if (!signed.ok) return signed;
    const { payload, kid, jwksVersion } = signed;
    const fail = (reason: TokenReason): AccessTokenResult => ({ ok: false, reason, kid });

    if (!isNonEmptyString(payload.iss) || !isNonEmptyString(payload.sub) || !isNonEmptyString(payload.jti, 256) || !isNonEmptyString(payload.client_id)) return fail('token_malformed');
    if (!checkAudienceShape(payload.aud) || !isNumericDate(payload.exp) || !isNumericDate(payload.iat)) return fail('token_malformed');
    if (payload.nbf !== undefined && !isNumericDate(payload.nbf)) return fail('token_malformed');
    if (payload.iss !== this.issuer) return fail('token_wrong_issuer');
    if (this.#checks.audience && singleAudience(payload.aud) !== this.audience) return fail('token_wrong_audience');
    const rules = { nowSeconds: nowMs / 1000, skewSeconds: this.#skew, maxAgeSeconds: this.#maxAge };
    const timeFailure = checkTimes(payload, rules);
    if (timeFailure) return fail(timeFailure);
    const bindingFailure = this.#checkBinding(payload.cnf, peerCertThumbprint);
    if (bindingFailure) return fail(bindingFailure);

    const claims = payload as unknown as AccessTokenClaims;
    // Stamped with the key set the key came from: if a refresh landed meanwhile, the entry is already stale.
    const verified = { claims, kid, jwksVersion, validUntilMs: validUntilMs(payload, rules) };
    this.#verified?.set(digest, verified);
    connection?.set(token, { ...verified, thumbprint: peerCertThumbprint, owner: this });
    return { ok: true, claims, kid, cached: false };
  }

  #checkBinding(cnf: unknown, peerCertThumbprint: string): TokenReason | undefined {
    if (!this.#checks.binding) return undefined;
    if (!this.#certBound) return cnf === undefined ? undefined : 'token_cert_mismatch';
    if (typeof cnf !== 'object' || cnf === null) return 'token_cert_mismatch';
    const bound = (cnf as Record<string, unknown>)['x5t#S256'];
    if (typeof bound !== 'string' || peerCertThumbprint === '' || !sameThumbprint(bound, peerCertThumbprint)) return 'token_cert_mismatch';
    return undefined;
  }
}
