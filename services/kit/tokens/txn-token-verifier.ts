/**
 * Verifies the transaction token carried in the `Txn-Token` header: minted by
 * the token service for one user request, addressed to the whole trust
 * domain, short-lived, and accepted at most once per service.
 */
import { systemClock, type Clock } from '../clock.ts';
import type { TokenReason } from '../reasons.ts';
import { TRUST_DOMAIN } from '../spiffe.ts';
import { assertAlgorithms, assertSeconds, DEFAULT_ALGORITHMS } from './access-token-verifier.ts';
import { checkTimes, isNonEmptyString, isNumericDate, singleAudience } from './claim-checks.ts';
import { TXN_TOKEN_TYPE, type TxnTokenClaims } from './claims.ts';
import type { JwksCache } from './jwks-cache.ts';
import type { ReplayCache } from './replay-cache.ts';
import { verifySignedJwt } from './signed-jwt.ts';

export const TXN_TOKEN_HEADER = 'txn-token';
export const TRUST_DOMAIN_AUDIENCE = `spiffe://${TRUST_DOMAIN}`;

export interface TxnTokenVerifierOptions {
  issuer: string;
  /** The trust domain, default spiffe://meshgate.test. */
  audience?: string;
  jwks: JwksCache;
  replay: ReplayCache;
  clock?: Clock;
  algorithms?: readonly string[];
  skewSeconds?: number;
  /** Default 60 s: transaction tokens live for seconds. */
  maxAgeSeconds?: number;
  /** Turned off only by mutation tests. */
  checks?: { audience?: boolean; type?: boolean };
}

export type TxnTokenResult = { ok: true; claims: TxnTokenClaims; kid: string } | { ok: false; reason: TokenReason; kid?: string };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Shape of the claims specific to transaction tokens. */
function wellFormed(p: Record<string, unknown>): boolean {
  if (!isNonEmptyString(p.iss) || !isNonEmptyString(p.sub) || !isNonEmptyString(p.jti, 256) || !isNonEmptyString(p.txn, 256) || !isNonEmptyString(p.purp, 64)) return false;
  if (typeof p.scope !== 'string' || !isNumericDate(p.iat) || !isNumericDate(p.exp)) return false;
  if (typeof p.aud !== 'string' && !Array.isArray(p.aud)) return false;
  if (!isPlainObject(p.rctx) || !isNonEmptyString(p.rctx.authn, 64)) return false;
  if (p.rctx.req_ip !== undefined && typeof p.rctx.req_ip !== 'string') return false;
  if (!isPlainObject(p.azd) || typeof p.azd.amount !== 'number' || !Number.isFinite(p.azd.amount) || !isNonEmptyString(p.azd.currency, 8)) return false;
  return true;
}

export class TxnTokenVerifier {
  readonly issuer: string;
  readonly audience: string;
  readonly #jwks: JwksCache;
  readonly #replay: ReplayCache;
  readonly #clock: Clock;
  readonly #algorithms: readonly string[];
  readonly #skew: number;
  readonly #maxAge: number;
  readonly #checkAudience: boolean;
  readonly #checkType: boolean;

  constructor(options: TxnTokenVerifierOptions) {
    if (!isNonEmptyString(options?.issuer)) throw new TypeError('TxnTokenVerifier: issuer must be a non-empty string');
    if (options.audience !== undefined && !isNonEmptyString(options.audience)) throw new TypeError('TxnTokenVerifier: audience must be a non-empty string');
    if (!options.jwks) throw new TypeError('TxnTokenVerifier: jwks must be a JwksCache');
    if (!options.replay) throw new TypeError('TxnTokenVerifier: replay must be a ReplayCache');
    this.issuer = options.issuer;
    this.audience = options.audience ?? TRUST_DOMAIN_AUDIENCE;
    this.#jwks = options.jwks;
    this.#replay = options.replay;
    this.#clock = options.clock ?? systemClock;
    this.#algorithms = [...(options.algorithms ?? DEFAULT_ALGORITHMS)];
    assertAlgorithms(this.#algorithms);
    this.#skew = options.skewSeconds ?? 5;
    assertSeconds('skewSeconds', this.#skew);
    this.#maxAge = options.maxAgeSeconds ?? 60;
    assertSeconds('maxAgeSeconds', this.#maxAge);
    this.#checkAudience = options.checks?.audience ?? true;
    this.#checkType = options.checks?.type ?? true;
  }

  async verify(token: string | undefined): Promise<TxnTokenResult> {
    if (token === undefined || token === '') return { ok: false, reason: 'token_missing' };
    if (typeof token !== 'string') return { ok: false, reason: 'token_malformed' };
    const signed = await verifySignedJwt(token, { jwks: this.#jwks, algorithms: this.#algorithms, type: this.#checkType ? TXN_TOKEN_TYPE : undefined });
    if (!signed.ok) return signed;
    const { payload, kid } = signed;
    const fail = (reason: TokenReason): TxnTokenResult => ({ ok: false, reason, kid });
    if (!wellFormed(payload)) return fail('token_malformed');
    if (payload.iss !== this.issuer) return fail('token_wrong_issuer');
    if (this.#checkAudience && singleAudience(payload.aud) !== this.audience) return fail('token_wrong_audience');
    const timeFailure = checkTimes(payload, { nowSeconds: this.#clock.now() / 1000, skewSeconds: this.#skew, maxAgeSeconds: this.#maxAge });
    if (timeFailure) return fail(timeFailure);
    // Last, so a token refused for any other reason doesn't occupy a slot.
    const replay = this.#replay.accept(payload.jti as string, (payload.exp as number) * 1000);
    if (!replay.ok) return fail(replay.reason);
    return { ok: true, claims: payload as unknown as TxnTokenClaims, kid };
  }
}
