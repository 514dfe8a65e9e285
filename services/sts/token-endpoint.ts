/**
 * POST /token (form-encoded) in RFC 6749 shapes. Callers authenticate with
 * their mTLS SVID (RFC 8705), never a secret. Grants:
 *  - client_credentials + audience: a workload's access token for one target;
 *  - password: an end user's token, only for the gateway;
 *  - RFC 8693 token exchange of a user token for a transaction token, only for
 *    the gateway, with authorization details within the user's limits.
 */
import { isIP } from 'node:net';
import { parseAmount } from '../kit/amount.ts';
import { systemClock, type Clock } from '../kit/clock.ts';
import { isAllowedCaller, parseSpiffeId, spiffeIdFor, TRUST_DOMAIN } from '../kit/spiffe.ts';
import { AccessTokenVerifier } from '../kit/tokens/access-token-verifier.ts';
import { TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_TXN_TOKEN } from '../kit/tokens/claims.ts';
import { JwksCache } from '../kit/tokens/jwks-cache.ts';
import { MESH_WORKLOADS, TOPOLOGY, type ServiceName } from '../topology.ts';
import { statusFor, type OAuthError, type OAuthErrorBody } from './oauth-error.ts';
import { GATEWAY_ID, type TokenIssuer } from './token-issuer.ts';
import type { UserDirectory } from './user-directory.ts';

export const GRANT_CLIENT_CREDENTIALS = 'client_credentials';
export const GRANT_PASSWORD = 'password';
export const GRANT_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** Purposes a transaction token may carry, and the scope each needs. */
export const PURPOSE_SCOPES: Readonly<Record<string, string>> = { payment: 'payments:write' };

export interface TokenCaller {
  spiffeId: string;
  /** x5t#S256 of the caller's client certificate. */
  certThumbprint: string;
}

export interface TokenAudit {
  event: 'token_issued' | 'token_refused';
  grant_type?: string;
  caller: string;
  subject?: string;
  audience?: string;
  token_type?: string;
  kid?: string;
  jti?: string;
  exp?: number;
  error?: OAuthError;
  /** Why, in words safe to log (never a secret or a token). */
  detail?: string;
}

export interface TokenSuccessBody {
  access_token: string;
  token_type: 'Bearer' | 'N_A';
  expires_in: number;
  issued_token_type?: string;
  scope?: string;
}

export interface TokenResponse {
  status: number;
  headers: Record<string, string>;
  body: TokenSuccessBody | OAuthErrorBody;
  audit: TokenAudit;
}

export interface TokenEndpointOptions {
  issuer: TokenIssuer;
  users: UserDirectory;
  clock?: Clock;
  gatewayId?: string;
  /**
   * 'declared-edges' (default) issues a workload token only for a target whose
   * token-bearing routes list the caller in services/topology.ts;
   * 'any-workload' allows any mesh workload as the target.
   */
  audiencePolicy?: 'declared-edges' | 'any-workload';
}

// RFC 6749 §5.1: token responses must not be cached.
const NO_STORE = { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' } as const;
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

class Refusal {
  readonly error: OAuthError;
  readonly description: string;
  constructor(error: OAuthError, description: string) {
    this.error = error;
    this.description = description;
  }
}

function parseScope(value: string | null): string[] | Refusal {
  if (value === null) return [];
  const scopes = value.split(' ').filter((s) => s !== '');
  if (scopes.some((s) => !SCOPE_TOKEN.test(s))) return new Refusal('invalid_scope', 'scope is not a list of scope tokens');
  return [...new Set(scopes)];
}

export class TokenEndpoint {
  readonly #issuer: TokenIssuer;
  readonly #users: UserDirectory;
  readonly #gatewayId: string;
  readonly #audiencePolicy: 'declared-edges' | 'any-workload';
  readonly #workloads: Map<string, ServiceName>;
  readonly #subjectJwks: JwksCache;
  readonly #subjectTokens: AccessTokenVerifier;
  #seenGeneration = -1;

  constructor(options: TokenEndpointOptions) {
    if (!options?.issuer) throw new TypeError('TokenEndpoint: issuer must be a TokenIssuer');
    if (!options.users) throw new TypeError('TokenEndpoint: users must be a UserDirectory');
    const policy = options.audiencePolicy ?? 'declared-edges';
    if (policy !== 'declared-edges' && policy !== 'any-workload') throw new TypeError(`TokenEndpoint: audiencePolicy must be 'declared-edges' or 'any-workload', got ${String(policy)}`);
    this.#issuer = options.issuer;
    this.#users = options.users;
    this.#gatewayId = options.gatewayId ?? GATEWAY_ID;
    this.#audiencePolicy = policy;
    this.#workloads = new Map(MESH_WORKLOADS.map((w) => [spiffeIdFor(w), w]));
    const clock = options.clock ?? systemClock;
    const keys = options.issuer.keys;
    // Subject tokens are this service's own user tokens, checked against its own published keys.
    this.#subjectJwks = new JwksCache({ fetchJwks: async () => keys.jwks(), clock, refreshIntervalMs: 3_600_000, maxStaleMs: 3_600_000 });
    this.#subjectTokens = new AccessTokenVerifier({
      issuer: options.issuer.issuer,
      audience: this.#gatewayId,
      jwks: this.#subjectJwks,
      clock,
      algorithms: [keys.alg],
      maxAgeSeconds: options.issuer.userTokenTtlSeconds,
      certBound: false,
    });
  }

  async handleTokenRequest(form: URLSearchParams, caller: TokenCaller): Promise<TokenResponse> {
    if (!(form instanceof URLSearchParams)) throw new TypeError('handleTokenRequest: form must be a URLSearchParams');
    const callerId = typeof caller?.spiffeId === 'string' ? caller.spiffeId : '';
    const grantType = form.get('grant_type') ?? undefined;
    const audit: TokenAudit = { event: 'token_refused', caller: callerId };
    if (grantType !== undefined) audit.grant_type = grantType.slice(0, 100);
    try {
      const body = await this.#dispatch(form, caller, grantType, audit);
      audit.event = 'token_issued';
      return { status: 200, headers: { ...NO_STORE }, body, audit };
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      audit.error = err.error;
      audit.detail = err.description;
      const headers: Record<string, string> = { ...NO_STORE };
      if (err.error === 'invalid_client') headers['www-authenticate'] = 'mTLS';
      return { status: statusFor(err.error), headers, body: { error: err.error, error_description: err.description }, audit };
    }
  }

  async #dispatch(form: URLSearchParams, caller: TokenCaller, grantType: string | undefined, audit: TokenAudit): Promise<TokenSuccessBody> {
    const parsed = parseSpiffeId(caller?.spiffeId ?? '');
    if (!parsed || parsed.trustDomain !== TRUST_DOMAIN) throw new Refusal('invalid_client', 'caller has no SPIFFE ID in this trust domain');
    if (typeof caller.certThumbprint !== 'string' || !THUMBPRINT.test(caller.certThumbprint)) throw new Refusal('invalid_client', 'caller certificate thumbprint is missing');
    // RFC 6749 §3.2: parameters must not be included more than once.
    for (const name of new Set(form.keys())) {
      if (form.getAll(name).length > 1) throw new Refusal('invalid_request', `parameter ${name.slice(0, 40)} is repeated`);
    }
    if (grantType === undefined || grantType === '') throw new Refusal('invalid_request', 'grant_type is required');
    switch (grantType) {
      case GRANT_CLIENT_CREDENTIALS:
        return this.#clientCredentials(form, caller, audit);
      case GRANT_PASSWORD:
        return this.#password(form, caller, audit);
      case GRANT_TOKEN_EXCHANGE:
        return this.#tokenExchange(form, caller, audit);
      default:
        throw new Refusal('unsupported_grant_type', 'grant_type is not supported');
    }
  }

  async #clientCredentials(form: URLSearchParams, caller: TokenCaller, audit: TokenAudit): Promise<TokenSuccessBody> {
    const audience = form.get('audience');
    if (audience === null || audience === '') throw new Refusal('invalid_request', 'audience is required');
    if (form.has('resource')) throw new Refusal('invalid_request', 'use audience, not resource');
    const target = this.#workloads.get(audience);
    if (!target) throw new Refusal('invalid_target', 'audience is not a mesh workload');
    audit.audience = audience;
    if (audience === caller.spiffeId) throw new Refusal('invalid_target', 'a workload does not need a token for itself');
    if (this.#audiencePolicy === 'declared-edges' && !this.#isDeclaredEdge(caller.spiffeId, target)) throw new Refusal('invalid_target', 'the topology declares no token-bearing route from the caller to this audience');
    const issued = await this.#issuer.issueAccessToken({ subject: caller.spiffeId, audience, certThumbprint: caller.certThumbprint });
    Object.assign(audit, { subject: caller.spiffeId, token_type: 'access_token', kid: issued.kid, jti: issued.claims.jti, exp: issued.claims.exp });
    return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn };
  }

  async #password(form: URLSearchParams, caller: TokenCaller, audit: TokenAudit): Promise<TokenSuccessBody> {
    if (caller.spiffeId !== this.#gatewayId) throw new Refusal('unauthorized_client', 'the password grant is for the gateway only');
    const username = form.get('username');
    const password = form.get('password');
    if (!username || !password) throw new Refusal('invalid_request', 'username and password are required');
    const requested = parseScope(form.get('scope'));
    if (requested instanceof Refusal) throw requested;
    const user = await this.#users.authenticate(username, password);
    // One answer for unknown user and wrong password.
    if (!user) throw new Refusal('invalid_grant', 'invalid username or password');
    audit.subject = user.username;
    const scopes = requested.length === 0 ? [...user.scopes] : requested;
    if (scopes.some((s) => !user.scopes.includes(s))) throw new Refusal('invalid_scope', 'requested scope exceeds what the user holds');
    const issued = await this.#issuer.issueUserToken({ userId: user.username, scopes });
    Object.assign(audit, { audience: this.#gatewayId, token_type: 'user_token', kid: issued.kid, jti: issued.claims.jti, exp: issued.claims.exp });
    return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: scopes.join(' ') };
  }

  async #tokenExchange(form: URLSearchParams, caller: TokenCaller, audit: TokenAudit): Promise<TokenSuccessBody> {
    if (caller.spiffeId !== this.#gatewayId) throw new Refusal('unauthorized_client', 'token exchange is for the gateway only');
    const subjectToken = form.get('subject_token');
    if (!subjectToken) throw new Refusal('invalid_request', 'subject_token is required');
    if (form.get('subject_token_type') !== TOKEN_TYPE_ACCESS_TOKEN) throw new Refusal('invalid_request', `subject_token_type must be ${TOKEN_TYPE_ACCESS_TOKEN}`);
    if (form.get('requested_token_type') !== TOKEN_TYPE_TXN_TOKEN) throw new Refusal('invalid_request', `requested_token_type must be ${TOKEN_TYPE_TXN_TOKEN}`);
    if (form.has('actor_token')) throw new Refusal('invalid_request', 'actor_token is not supported');
    const purpose = form.get('purpose');
    const purposeScope = purpose === null ? undefined : PURPOSE_SCOPES[purpose];
    if (purpose === null || purposeScope === undefined) throw new Refusal('invalid_request', `purpose must be one of ${Object.keys(PURPOSE_SCOPES).join(', ')}`);
    const amountText = form.get('amount');
    const currency = form.get('currency');
    const amount = parseAmount(amountText);
    if (!amount.ok) throw new Refusal('invalid_request', `amount ${amount.problem}`);
    if (currency === null || !/^[A-Z]{3}$/.test(currency)) throw new Refusal('invalid_request', 'currency must be an ISO 4217 code');
    const requestId = form.get('request_id');
    if (requestId === null || !REQUEST_ID.test(requestId)) throw new Refusal('invalid_request', 'request_id is required (1-128 of A-Z a-z 0-9 . _ -)');
    const reqIp = form.get('req_ip');
    if (reqIp !== null && isIP(reqIp) === 0) throw new Refusal('invalid_request', 'req_ip must be an IP address');
    const requested = parseScope(form.get('scope'));
    if (requested instanceof Refusal) throw requested;

    if (this.#seenGeneration !== this.#issuer.keys.generation) {
      this.#seenGeneration = this.#issuer.keys.generation;
      await this.#subjectJwks.refresh();
    }
    const verified = await this.#subjectTokens.verify(subjectToken, '');
    if (!verified.ok) throw new Refusal('invalid_grant', `subject_token rejected: ${verified.reason}`);
    const user = this.#users.get(verified.claims.sub);
    if (!user) throw new Refusal('invalid_grant', 'subject_token names no known user');
    audit.subject = user.username;
    const held = (verified.claims.scope ?? '').split(' ').filter((s) => s !== '');
    const scopes = requested.length === 0 ? [purposeScope] : requested;
    if (!scopes.includes(purposeScope)) throw new Refusal('invalid_scope', `purpose ${purpose} needs scope ${purposeScope}`);
    if (scopes.some((s) => !held.includes(s) || !user.scopes.includes(s))) throw new Refusal('invalid_scope', 'requested scope exceeds what the subject holds');
    if (currency !== user.limits.currency) throw new Refusal('invalid_scope', `the user's limit is in ${user.limits.currency}`);
    const limit = parseAmount(user.limits.maxAmount);
    if (!limit.ok || amount.minor > limit.minor) throw new Refusal('invalid_scope', "amount exceeds the user's payment limit");

    const rctx = reqIp === null ? { authn: 'pwd' } : { authn: 'pwd', req_ip: reqIp };
    const issued = await this.#issuer.issueTxnToken({ subject: user.username, scopes, txn: requestId, purp: purpose, rctx, azd: { amount: amount.minor / 100, currency } });
    Object.assign(audit, { audience: issued.claims.aud, token_type: 'txn_token', kid: issued.kid, jti: issued.claims.jti, exp: issued.claims.exp });
    // RFC 8693 §2.2.1: N_A, since a transaction token is not an OAuth access token.
    return { access_token: issued.token, issued_token_type: TOKEN_TYPE_TXN_TOKEN, token_type: 'N_A', expires_in: issued.expiresIn };
  }

  #isDeclaredEdge(callerId: string, target: ServiceName): boolean {
    return TOPOLOGY[target].some((r) => r.token !== 'none' && isAllowedCaller(r.callers, callerId));
  }
}
