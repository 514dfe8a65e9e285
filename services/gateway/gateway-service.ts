/**
 * The edge: serves end users over HTTPS on its public port and calls payments
 * over mTLS. A user logs in at POST /login and pays with the user token; the
 * gateway exchanges it for a short transaction token that travels down the chain.
 */
import { readJsonBody, readJsonWithRaw, BodyError } from '../kit/http/json-body.ts';
import { sendError, sendJson } from '../kit/http/respond.ts';
import { verified, type Guard, type MtlsRouteHandler, type RouteFacts, type RouteHandler } from '../kit/http/mesh-router.ts';
import { chmodSync } from 'node:fs';
import { writeHeapSnapshot } from 'node:v8';
import { logRequestBody } from '../kit/log/logger.ts';
import { statePaths } from '../kit/state-layout.ts';
import { audit } from '../kit/log/audit.ts';
import { AccessTokenVerifier } from '../kit/tokens/access-token-verifier.ts';
import { readBearer } from '../kit/tokens/bearer.ts';
import { TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_TXN_TOKEN } from '../kit/tokens/claims.ts';
import { tokenRefusal } from '../kit/tokens/refusal.ts';
import { recordVerification, STS_ID } from '../kit/workload/token-plane.ts';
import { withTokenVerifySpan } from '../kit/telemetry/spans.ts';
import { startWorkload, type PublicPortSpec, type Workload } from '../kit/workload/runtime.ts';
import { systemClock, type Clock } from '../kit/clock.ts';
import type { WorkloadConfig } from '../kit/workload/config.ts';

import { formatMinorUnits, parseAmount } from '../kit/amount.ts';
import { LoginThrottle } from './login-throttle.ts';

export const PUBLIC_BODY_LIMIT = 8 * 1024;

async function postForm(workload: Workload, form: Record<string, string>) {
  return workload.call('sts', { path: '/token', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
}

/** The public port: end users log in and pay with the user token, verified here against the token service's keys. */
function publicPort(workload: Workload): PublicPortSpec {
  if (!workload.tokenPlane) throw new Error('the gateway verifies user tokens: it needs the token service (peers.sts)');
  const { settings } = workload.config;
  const throttle = new LoginThrottle({ userFailures: settings.loginUserFailures, clientFailures: settings.loginClientFailures, clock: workload.clock });
  const userTokens = new AccessTokenVerifier({ issuer: STS_ID, audience: workload.spiffeId, jwks: workload.tokenPlane.jwks, certBound: false, clock: workload.clock });

  const userTokenGuard: Guard<Required<Pick<RouteFacts, 'user' | 'userToken'>>> = async (ctx) => {
    if (ctx.route.token === 'none') return undefined;
    const bearer = readBearer(ctx.req.headers.authorization);
    const result = await withTokenVerifySpan('user', async (span) => {
      const r = bearer.ok ? await userTokens.verify(bearer.token, '') : bearer;
      recordVerification(workload.metrics, r, span);
      return r;
    });
    if (!result.ok || !bearer.ok) {
      const reason = result.ok ? 'token_missing' : result.reason;
      const r = tokenRefusal(reason, ctx.requestId);
      return { status: r.status, reason, headers: r.headers };
    }
    return verified({ user: result.claims.sub, userToken: bearer.token });
  };

  const publicHandlers: Record<string, RouteHandler> = {
    'POST /login': async (ctx) => {
      const body = await readJsonBody(ctx.req, 4 * 1024);
      const { username, password } = (body ?? {}) as Record<string, unknown>;
      if (typeof username !== 'string' || typeof password !== 'string' || !username || !password) throw new BodyError('body_invalid', 'username and password must be non-empty strings');
      const client = ctx.req.socket.remoteAddress ?? 'unknown';
      const verdict = throttle.check(username, client);
      if (!verdict.ok) {
        workload.metrics.loginThrottled.inc({ scope: verdict.scope });
        audit(workload.logger, { event: 'login_throttled', reason: 'login_throttled', scope: verdict.scope, user: username, request_id: ctx.requestId, peer_addr: client, retry_after_s: verdict.retryAfterSeconds });
        sendError(ctx.res, 429, 'login_throttled', ctx.requestId, {}, { 'retry-after': String(verdict.retryAfterSeconds) });
        return;
      }
      const res = await postForm(workload, { grant_type: 'password', username, password, scope: 'payments:write' });
      if (res.status !== 200) {
        throttle.recordFailure(username, client);
        audit(workload.logger, { event: 'login_refused', reason: 'login_failed', user: username, request_id: ctx.requestId, peer_addr: client });
        sendError(ctx.res, 401, 'login_failed', ctx.requestId);
        return;
      }
      throttle.recordSuccess(username);
      sendJson(ctx.res, 200, res.json());
    },
    'GET /.well-known/payments-encryption-keys': async (ctx) => {
      // Relayed as payments published it: clients trust each key through its certificate, not through this hop.
      const keys = await workload.call('payments', { path: '/encryption-keys', method: 'GET' });
      if (keys.status !== 200) {
        sendError(ctx.res, 503, 'upstream_unavailable', ctx.requestId, { upstream: 'payments' });
        return;
      }
      ctx.res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'max-age=60', 'x-request-id': ctx.requestId });
      ctx.res.end(keys.body);
    },
    'POST /payments': async (ctx) => {
      const { value, raw } = await readJsonWithRaw(ctx.req, PUBLIC_BODY_LIMIT);
      logRequestBody(workload.logger, { route: 'POST /payments', body: value, raw, request_id: ctx.requestId, correlation_id: ctx.correlationId });
      const parsed = value as { amount?: unknown; currency?: unknown } | null;
      const amount = typeof parsed?.amount === 'number' ? parseAmount(parsed.amount) : undefined;
      if (!amount?.ok || typeof parsed?.currency !== 'string') throw new BodyError('body_invalid', `amount ${amount && !amount.ok ? amount.problem : 'must be a number'}; currency must be a string`);
      const exchange = await postForm(workload, {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: String(ctx.facts.userToken),
        subject_token_type: TOKEN_TYPE_ACCESS_TOKEN,
        requested_token_type: TOKEN_TYPE_TXN_TOKEN,
        purpose: 'payment',
        amount: formatMinorUnits(amount.minor),
        currency: parsed.currency,
        request_id: ctx.requestId,
        req_ip: ctx.req.socket.remoteAddress ?? '',
      });
      if (exchange.status !== 200) {
        const error = exchange.json<{ error?: string }>().error ?? 'invalid_request';
        audit(workload.logger, { event: 'txn_token_refused', reason: 'txn_token_refused', oauth_error: error, user: String(ctx.facts.user), request_id: ctx.requestId });
        sendError(ctx.res, 403, 'txn_token_refused', ctx.requestId, { detail: error });
        return;
      }
      // The gateway's own verified fact from here on: the transaction token it was issued.
      const withTxn = { ...ctx, facts: { ...ctx.facts, txnToken: exchange.json<{ access_token: string }>().access_token } };
      const upstream = await workload.callDownstream(withTxn, 'payments', { method: 'POST', path: '/payments', headers: { 'content-type': 'application/json' }, body: raw });
      ctx.res.writeHead(upstream.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-request-id': ctx.requestId });
      ctx.res.end(upstream.body);
    },
  };
  return { handlers: publicHandlers, guards: [userTokenGuard] };
}

export async function startGatewayService(config: WorkloadConfig, joinToken: string | undefined, clock: Clock = systemClock): Promise<Workload> {
  const handlers = (workload: Workload): Record<string, MtlsRouteHandler> => ({
    // The operator's memory dump of the edge: what a debugging session (or an attacker on the host) could read.
    'POST /admin/heap-snapshot': async (ctx) => {
      ctx.req.resume();
      const file = statePaths(workload.config.stateDir).heapSnapshot('gateway');
      writeHeapSnapshot(file);
      chmodSync(file, 0o600);
      audit(workload.logger, { event: 'admin_action', action: 'heap_snapshot', file, request_id: ctx.requestId, peer_spiffe_id: ctx.peer?.spiffeId });
      sendJson(ctx.res, 200, { file });
    },
  });
  const spec: Parameters<typeof startWorkload>[0] = { config, handlers, publicPort, clock };
  if (joinToken !== undefined) spec.joinToken = joinToken;
  return startWorkload(spec);
}
