/**
 * Wires the token plane into a workload: the cached JWKS of the token service,
 * the guard that verifies the per-hop access token (and the transaction token
 * where the route wants one), and the outbound side that attaches both to
 * downstream calls.
 */
import { audit } from '../log/audit.ts';
import type { Guard, RouteContext } from '../http/mesh-router.ts';
import { AccessTokenCache } from '../tokens/access-token-cache.ts';
import { AccessTokenVerifier } from '../tokens/access-token-verifier.ts';
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
import type { Workload } from './runtime.ts';

export const STS_ID = spiffeIdFor('sts');
export const JWKS_PATH = '/.well-known/jwks.json';

export interface TokenPlane {
  jwks: JwksCache;
  accessVerifier: AccessTokenVerifier;
  txnVerifier: TxnTokenVerifier;
  replay: ReplayCache;
  tokens: AccessTokenCache;
  guard: Guard;
}

export function createJwksCache(workload: Workload): JwksCache {
  const jwks = new JwksCache({
    fetchJwks: async () => {
      const res = await workload.call('sts', { path: JWKS_PATH, timeoutMs: 3000 });
      if (res.status !== 200) throw new Error(`JWKS fetch answered ${res.status}`);
      return res.json<JwksDocument>();
    },
    refreshIntervalMs: workload.config.settings.jwksRefreshMs,
    unknownKidCooldownMs: Math.min(5000, workload.config.settings.jwksRefreshMs),
  });
  jwks.start();
  workload.onClose(() => jwks.stop());
  return jwks;
}

/** Requests client-credentials access tokens for downstream audiences over mTLS. */
export function createAccessTokenCache(workload: Workload): AccessTokenCache {
  return new AccessTokenCache({
    requestToken: async (audience) => {
      const res = await workload.call('sts', {
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

/** One verification, seen three ways: counter, span (never the token) and the request's facts. */
export function recordVerification(workload: Workload, ctx: RouteContext, kind: 'access' | 'txn' | 'user', result: { ok: boolean; reason?: TokenReason; kid?: string }, span: TokenVerifyRecorder): void {
  workload.metrics.tokenVerifications.inc({ result: result.ok ? 'ok' : 'fail', reason: result.reason ?? 'none' });
  ctx.facts[`${kind}TokenKid`] = result.kid;
  if (result.kid) span.setKid(result.kid);
  if (result.ok) span.accept();
  else span.reject(result.reason ?? 'token_malformed');
}

export function createTokenPlane(workload: Workload): TokenPlane {
  const { settings } = workload.config;
  const jwks = createJwksCache(workload);
  const accessVerifier = new AccessTokenVerifier({
    issuer: STS_ID,
    audience: workload.spiffeId,
    jwks,
    checks: { audience: settings.audienceCheck, binding: settings.tokenBinding },
  });
  const replay = new ReplayCache({ maxEntries: 100_000, enabled: settings.replayCache });
  workload.metrics.setReplayCacheSource(() => replay.size);
  const txnVerifier = new TxnTokenVerifier({ issuer: STS_ID, jwks, replay });
  const tokens = createAccessTokenCache(workload);

  const refuse = (ctx: RouteContext, reason: TokenReason) => {
    const r = tokenRefusal(reason, ctx.requestId);
    return { status: r.status, reason, headers: r.headers };
  };

  const guard: Guard = async (ctx) => {
    if (ctx.route.token === 'none') return undefined;
    const access = await withTokenVerifySpan('access', async (span) => {
      const bearer = readBearer(ctx.req.headers.authorization);
      const result = bearer.ok ? await accessVerifier.verify(bearer.token, ctx.peer?.certThumbprint ?? '', connectionTokenCacheFor(ctx.req.socket)) : bearer;
      recordVerification(workload, ctx, 'access', result, span);
      return result;
    });
    if (!access.ok) return refuse(ctx, access.reason);
    ctx.facts.caller = access.claims.sub;
    if (ctx.route.token !== 'access+txn') return undefined;
    const header = ctx.req.headers[TXN_TOKEN_HEADER];
    const raw = typeof header === 'string' ? header : undefined;
    const txn = await withTokenVerifySpan('txn', async (span) => {
      const result = await txnVerifier.verify(raw);
      recordVerification(workload, ctx, 'txn', result, span);
      return result;
    });
    if (!txn.ok) {
      if (txn.reason === 'token_replayed') audit(workload.logger, { event: 'replay_detected', reason: 'token_replayed', request_id: ctx.requestId, peer_spiffe_id: ctx.peer?.spiffeId, kid: txn.kid });
      return refuse(ctx, txn.reason);
    }
    ctx.facts.txnToken = raw;
    ctx.facts.txn = txn.claims;
    ctx.facts.user = txn.claims.sub;
    return undefined;
  };

  workload.outboundHeaders = async (ctx, peer: ServiceName) => {
    const headers: Record<string, string> = { authorization: `Bearer ${await tokens.get(spiffeIdFor(peer))}` };
    if (typeof ctx.facts.txnToken === 'string') headers[TXN_TOKEN_HEADER] = ctx.facts.txnToken;
    return headers;
  };

  return { jwks, accessVerifier, txnVerifier, replay, tokens, guard };
}
