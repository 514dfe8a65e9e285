/**
 * The token plane of a workload: the cached JWKS of the token service, the
 * guard that verifies the per-hop access token (and the transaction token
 * where the route wants one), and the outbound headers that carry both to
 * downstream calls.
 */
import { audit } from '../log/audit.ts';
import type { MeshLogger } from '../log/logger.ts';
import type { MeshMetrics } from '../metrics/mesh-metrics.ts';
import type { Clock } from '../clock.ts';
import { verified, type Guard, type RouteContext, type RouteFacts } from '../http/mesh-router.ts';
import { AccessTokenCache } from '../tokens/access-token-cache.ts';
import { AccessTokenVerifier, DEFAULT_ALGORITHMS } from '../tokens/access-token-verifier.ts';
import { readBearer } from '../tokens/bearer.ts';
import { withTokenVerifySpan, type TokenVerifyRecorder } from '../telemetry/spans.ts';
import { connectionTokenCacheFor } from '../tokens/connection-token-cache.ts';
import { JwksCache, type JwksDocument } from '../tokens/jwks-cache.ts';
import { tokenRefusal } from '../tokens/refusal.ts';
import { ReplayCache } from '../tokens/replay-cache.ts';
import { TXN_TOKEN_HEADER, TxnTokenVerifier } from '../tokens/txn-token-verifier.ts';
import type { TokenReason } from '../reasons.ts';
import { spiffeIdFor } from '../spiffe.ts';
import type { ServiceName } from '../../topology.ts';
import type { SecuritySettings } from './settings.ts';
import type { PeerCall } from './peer-call.ts';
import type { RevocationList } from '../mtls/revocation-list.ts';

export const STS_ID = spiffeIdFor('sts');
export const JWKS_PATH = '/.well-known/jwks.json';

export interface TokenPlaneDeps {
  spiffeId: string;
  settings: SecuritySettings;
  metrics: MeshMetrics;
  logger: MeshLogger;
  clock: Clock;
  /** Reaches the token service. */
  call: PeerCall;
  /** A token bound to a revoked certificate is refused even on a connection that raced the CRL. */
  revocation?: RevocationList;
}

export interface TokenPlane {
  jwks: JwksCache;
  guard: Guard;
  /** The access token for the peer and the request's transaction token, for a downstream call. */
  outboundHeaders(ctx: RouteContext, peer: ServiceName): Promise<Record<string, string>>;
  /** Makes the request's transaction token usable again: the handler refused the request before acting on it. */
  releaseTxnToken(ctx: RouteContext): void;
  /** Drops the cached access token for a peer that no longer accepts it. */
  invalidate(peer: ServiceName): void;
  /** Access tokens are bound to the certificate they were requested with: a new SVID drops them all. */
  onCredentialsRotated(): void;
  health(): Record<string, unknown>;
  /** Resolves once the token service's keys are loaded (bounded). */
  ready(timeoutMs: number): Promise<void>;
  close(): void;
}

/** The algorithm allow-list: HS256 only in the mutant that widens it. */
export function tokenAlgorithms(settings: SecuritySettings): readonly string[] {
  return settings.allowHmacTokens ? [...DEFAULT_ALGORITHMS, 'HS256'] : DEFAULT_ALGORITHMS;
}

/** One verification, seen two ways: counter and span (never the token). */
export function recordVerification(metrics: MeshMetrics, result: { ok: boolean; reason?: TokenReason; kid?: string }, span: TokenVerifyRecorder): void {
  metrics.tokenVerifications.inc({ result: result.ok ? 'ok' : 'fail', reason: result.reason ?? 'none' });
  if (result.kid) span.setKid(result.kid);
  if (result.ok) span.accept();
  else span.reject(result.reason ?? 'token_malformed');
}

function createJwksCache(call: PeerCall, settings: SecuritySettings, clock: Clock): JwksCache {
  return new JwksCache({
    fetchJwks: async () => {
      const res = await call('sts', { path: JWKS_PATH, timeoutMs: 3000 });
      if (res.status !== 200) throw new Error(`JWKS fetch answered ${res.status}`);
      return res.json<JwksDocument>();
    },
    clock,
    refreshIntervalMs: settings.jwksRefreshMs,
    unknownKidCooldownMs: Math.min(5000, settings.jwksRefreshMs),
  });
}

/** Requests client-credentials access tokens for downstream audiences over mTLS. */
function createAccessTokenCache(call: PeerCall, clock: Clock): AccessTokenCache {
  return new AccessTokenCache({
    clock,
    requestToken: async (audience) => {
      const res = await call('sts', {
        path: '/token',
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', audience }).toString(),
      });
      const body = res.json<{ access_token?: string; expires_in?: number; error?: string }>();
      if (res.status !== 200 || !body.access_token) throw new Error(`token service refused ${audience}: ${body.error ?? res.status}`);
      return { access_token: body.access_token, expires_in: body.expires_in ?? 60 };
    },
  });
}

async function untilLoaded(jwks: JwksCache, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await jwks.refresh();
      if (jwks.size > 0) return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the token service's JWKS could not be loaded: ${(err as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function createTokenPlane({ spiffeId, settings, metrics, logger, clock, call, revocation }: TokenPlaneDeps): TokenPlane {
  const jwks = createJwksCache(call, settings, clock);
  jwks.start();
  const accessVerifier = new AccessTokenVerifier({
    issuer: STS_ID,
    audience: spiffeId,
    jwks,
    clock,
    algorithms: tokenAlgorithms(settings),
    skewSeconds: settings.tokenSkewSeconds,
    checks: { audience: settings.audienceCheck, binding: settings.tokenBinding, type: settings.checkTokenType },
  });
  const replay = new ReplayCache({ maxEntries: 100_000, enabled: settings.replayCache, clock });
  metrics.setReplayCacheSource(() => replay.size);
  const txnVerifier = new TxnTokenVerifier({ issuer: STS_ID, jwks, replay, clock, algorithms: tokenAlgorithms(settings), skewSeconds: settings.tokenSkewSeconds, checks: { type: settings.checkTokenType } });
  const tokens = createAccessTokenCache(call, clock);

  const refuse = (ctx: RouteContext, reason: TokenReason) => {
    const r = tokenRefusal(reason, ctx.requestId);
    return { status: r.status, reason, headers: r.headers };
  };

  // Adds caller (access token) and, on access+txn routes, the transaction's token, claims and user.
  const guard: Guard<Pick<RouteFacts, 'caller'> | Required<Pick<RouteFacts, 'caller' | 'txnToken' | 'txn' | 'user'>>> = async (ctx) => {
    if (ctx.route.token === 'none') return undefined;
    if (settings.checkRevocation && ctx.peer && revocation?.isRevoked(ctx.peer.serial)) return refuse(ctx, 'token_cert_revoked');
    const access = await withTokenVerifySpan('access', async (span) => {
      const bearer = readBearer(ctx.req.headers.authorization);
      const result = bearer.ok ? await accessVerifier.verify(bearer.token, ctx.peer?.certThumbprint ?? '', connectionTokenCacheFor(ctx.req.socket)) : bearer;
      recordVerification(metrics, result, span);
      return result;
    });
    if (!access.ok) return refuse(ctx, access.reason);
    const caller = access.claims.sub;
    if (ctx.route.token !== 'access+txn') return verified({ caller });
    const header = ctx.req.headers[TXN_TOKEN_HEADER];
    const raw = typeof header === 'string' ? header : undefined;
    const txn = await withTokenVerifySpan('txn', async (span) => {
      const result = await txnVerifier.verify(raw);
      recordVerification(metrics, result, span);
      return result;
    });
    if (!txn.ok) {
      if (txn.reason === 'token_replayed') audit(logger, { event: 'replay_detected', reason: 'token_replayed', request_id: ctx.requestId, peer_spiffe_id: ctx.peer?.spiffeId, kid: txn.kid });
      return refuse(ctx, txn.reason);
    }
    if (raw === undefined) return refuse(ctx, 'token_missing');
    return verified({ caller, txnToken: raw, txn: txn.claims, user: txn.claims.sub });
  };

  return {
    jwks,
    guard,
    outboundHeaders: async (ctx, peer) => {
      const headers: Record<string, string> = { authorization: `Bearer ${await tokens.get(spiffeIdFor(peer))}` };
      if (ctx.facts.txnToken) headers[TXN_TOKEN_HEADER] = ctx.facts.txnToken;
      return headers;
    },
    releaseTxnToken: (ctx) => {
      if (ctx.facts.txn) replay.release(ctx.facts.txn.jti);
    },
    invalidate: (peer) => tokens.invalidate(spiffeIdFor(peer)),
    onCredentialsRotated: () => tokens.clear(),
    health: () => ({ jwks: { version: jwks.version, kids: jwks.kids(), ...jwks.stats } }),
    ready: (timeoutMs) => untilLoaded(jwks, timeoutMs),
    close: () => jwks.stop(),
  };
}
