/**
 * Routes a request on a workload's mTLS port through its guards: the route must
 * exist, the peer's SPIFFE ID must be an allowed caller, then each further guard
 * (token verification, policy decision) in order. The first refusal answers.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReasonCode } from '../reasons.ts';
import type { PeerIdentity } from '../mtls/peer-identity.ts';
import { isAllowedCaller } from '../spiffe.ts';
import { matchRoute, type RouteSpec } from '../../topology.ts';
import { BodyError } from './json-body.ts';
import { CORRELATION_HEADER, formatCorrelationHeader, parseCorrelationHeader } from '../telemetry/correlation.ts';
import { annotateServerSpan } from '../telemetry/spans.ts';
import { sendError } from './respond.ts';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Undefined only on ports that do not require client certificates. */
  peer: PeerIdentity | undefined;
  route: RouteSpec;
  params: Record<string, string>;
  requestId: string;
  /** "<run>/<scenario>" from a well-formed x-meshgate-correlation header, for logs. */
  correlationId: string | undefined;
  /** The header to forward downstream, re-formatted from what was parsed (never raw input). */
  correlationHeader: string | undefined;
  /** Facts established by guards (verified token claims, decision ids) for handlers and logs. */
  facts: Record<string, unknown>;
}

export type Refusal = { status: number; reason: ReasonCode; headers?: Record<string, string>; extra?: Record<string, string>; detail?: string };
export type Guard = (ctx: RouteContext) => Promise<Refusal | undefined> | Refusal | undefined;
export type RouteHandler = (ctx: RouteContext) => Promise<void> | void;

export interface RequestRecord {
  ctx: RouteContext | undefined;
  method: string;
  routePattern: string;
  status: number;
  durationSeconds: number;
  refusal?: Refusal;
}

export interface MeshRouterOptions {
  routes: readonly RouteSpec[];
  handlers: Record<string, RouteHandler>;
  guards?: Guard[];
  /** Whether the caller list of each route is enforced (ports without client certs skip it). */
  enforceCallers?: boolean;
  onRefusal?: (ctx: RouteContext, refusal: Refusal) => void;
  onRequest?: (record: RequestRecord) => void;
  onError?: (ctx: RouteContext, err: unknown) => void;
}


function callerGuard(ctx: RouteContext): Refusal | undefined {
  if (isAllowedCaller(ctx.route.callers, ctx.peer?.spiffeId)) return undefined;
  return { status: 403, reason: 'spiffe_id_not_allowed', detail: `${ctx.peer?.spiffeId ?? 'anonymous'} may not call ${ctx.route.action}` };
}

export function createMeshRouter(options: MeshRouterOptions): (req: IncomingMessage, res: ServerResponse, peer: PeerIdentity | undefined) => void {
  const guards = [...(options.enforceCallers === false ? [] : [callerGuard]), ...(options.guards ?? [])];
  return (req, res, peer) => {
    const started = performance.now();
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'https://localhost');
    const match = matchRoute(options.routes, req.method ?? 'GET', url.pathname);
    const finish = (ctx: RouteContext | undefined, pattern: string, refusal?: Refusal): void => {
      const record: RequestRecord = { ctx, method: req.method ?? 'GET', routePattern: pattern, status: res.statusCode, durationSeconds: (performance.now() - started) / 1000 };
      if (refusal) record.refusal = refusal;
      options.onRequest?.(record);
    };
    if (!match) {
      // The path is known under another method: 405, otherwise 404.
      const pathExists = options.routes.some((r) => matchRoute([r], r.method, url.pathname));
      req.resume();
      if (pathExists) sendError(res, 405, 'method_not_allowed', requestId);
      else sendError(res, 404, 'not_found', requestId);
      finish(undefined, 'unmatched');
      return;
    }
    const correlation = parseCorrelationHeader(req.headers[CORRELATION_HEADER]);
    const ctx: RouteContext = {
      req,
      res,
      peer,
      route: match.route,
      params: match.params,
      requestId,
      correlationId: correlation ? [correlation.correlationId, correlation.scenarioId].filter(Boolean).join('/') : undefined,
      correlationHeader: correlation ? formatCorrelationHeader(correlation) : undefined,
      facts: {},
    };
    annotateServerSpan({ route: match.route.path, method: match.route.method, ...(peer ? { peerSpiffeId: peer.spiffeId } : {}), headers: req.headers });
    void (async () => {
      for (const guard of guards) {
        const refusal = await guard(ctx);
        if (refusal) {
          req.resume();
          options.onRefusal?.(ctx, refusal);
          sendError(res, refusal.status, refusal.reason, requestId, refusal.extra ?? {}, refusal.headers ?? {});
          finish(ctx, match.route.path, refusal);
          return;
        }
      }
      const handler = options.handlers[match.route.action];
      if (!handler) {
        sendError(res, 404, 'not_found', requestId);
        finish(ctx, match.route.path);
        return;
      }
      await handler(ctx);
      finish(ctx, match.route.path);
    })().catch((err: unknown) => {
      if (err instanceof BodyError) {
        sendError(res, err.status, err.reason, requestId, { detail: err.message });
      } else {
        options.onError?.(ctx, err);
        sendError(res, 500, 'internal_error', requestId);
      }
      finish(ctx, match.route.path);
    });
  };
}
