/**
 * Routes a request on a workload's mTLS port through its guards: the route must
 * exist, the peer's SPIFFE ID must be an allowed caller, then each further guard
 * (token verification) in order, then the handler, which may ask for a policy
 * decision once it knows the resource. Whichever refuses first answers, and
 * every refusal goes through onRefusal.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReasonCode } from '../reasons.ts';
import type { PeerIdentity } from '../mtls/peer-identity.ts';
import type { DecisionResource } from '../pep/decision-types.ts';
import type { TxnTokenClaims } from '../tokens/claims.ts';
import { isAllowedCaller } from '../spiffe.ts';
import { matchRoute, type RouteSpec } from '../../topology.ts';
import { BodyError } from './json-body.ts';
import { DependencyUnavailable } from './dependency-error.ts';
import { ambiguousHeader } from './ambiguous-headers.ts';
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
  /** What the guards verified, for handlers and downstream calls; only the router records facts, from what guards return. */
  readonly facts: Readonly<RouteFacts>;
  /** Asks the policy decision point whether this request may act on the resource; a refusal is to be returned. */
  authorize(resource: DecisionResource): Promise<Refusal | undefined>;
}

/** Each fact is established only by the guard named, once it has verified it. */
export interface RouteFacts {
  /** The access token's subject (the token plane's guard). */
  caller?: string;
  /** The end user: the transaction token's subject (token plane) or the user token's (the gateway's guard). */
  user?: string;
  /** The user token as presented, to exchange for a transaction token (the gateway's guard). */
  userToken?: string;
  /** The verified transaction token, forwarded downstream (token plane; the gateway once it has exchanged one). */
  txnToken?: string;
  txn?: TxnTokenClaims;
}

export interface Refusal {
  status: number;
  reason: ReasonCode;
  headers?: Record<string, string>;
  /** Fields added to the error body. */
  extra?: Record<string, string>;
  detail?: string;
  /** Fields added to the refusal's audit line (e.g. the decision id and policy version of a deny). */
  audit?: Record<string, unknown>;
}
/** The facts a guard verified, returned for the router to record. */
export interface Verified<F extends Partial<RouteFacts>> {
  readonly verified: F;
}

export function verified<F extends Partial<RouteFacts>>(facts: F): Verified<F> {
  return { verified: facts };
}

/**
 * A guard checks one property of a request and refuses, or passes with the facts it verified:
 * its type declares what it adds (`Guard<Pick<RouteFacts, 'caller'>>`), and it never writes onto
 * the context itself. Later guards and the handler see what earlier guards established.
 */
export type Guard<F extends Partial<RouteFacts> = Partial<RouteFacts>> = (ctx: RouteContext) => Promise<GuardOutcome<F>> | GuardOutcome<F>;
export type GuardOutcome<F extends Partial<RouteFacts>> = Refusal | Verified<F> | undefined;
/** A handler answers itself, or returns the refusal it was given (by ctx.authorize) for the router to answer. */
export type RouteHandler = (ctx: RouteContext) => Promise<Refusal | void> | Refusal | void;

/** On a port that requires client certificates the caller guard has checked the peer: it is always there. */
export interface MtlsRouteContext extends RouteContext {
  peer: PeerIdentity;
}
export type MtlsRouteHandler = (ctx: MtlsRouteContext) => Promise<Refusal | void> | Refusal | void;

/** Serves an mTLS handler on any port: where no peer was authenticated (a plaintext listener) it refuses. */
export function requirePeer(handler: MtlsRouteHandler): RouteHandler {
  return (ctx) => (hasPeer(ctx) ? handler(ctx) : { status: 403, reason: 'spiffe_id_not_allowed', detail: `${ctx.route.action} needs an authenticated peer` });
}

function hasPeer(ctx: RouteContext): ctx is MtlsRouteContext {
  return ctx.peer !== undefined;
}

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
  /** Decides ctx.authorize; without it every authorization is refused (fail closed). */
  authorize?: (ctx: RouteContext, resource: DecisionResource) => Promise<Refusal | undefined>;
  onRefusal?: (ctx: RouteContext, refusal: Refusal) => void;
  onRequest?: (record: RequestRecord) => void;
  onError?: (ctx: RouteContext, err: unknown) => void;
}

const NO_POLICY_PLANE: Refusal = { status: 503, reason: 'pdp_unavailable', detail: 'no policy decision point is configured' };

function callerGuard(ctx: RouteContext): Refusal | undefined {
  if (isAllowedCaller(ctx.route.callers, ctx.peer?.spiffeId)) return undefined;
  return { status: 403, reason: 'spiffe_id_not_allowed', detail: `${ctx.peer?.spiffeId ?? 'anonymous'} may not call ${ctx.route.action}` };
}

function headerGuard(ctx: RouteContext): Refusal | undefined {
  const name = ambiguousHeader(ctx.req);
  return name ? { status: 400, reason: 'header_ambiguous', detail: `the ${name} header is present more than once` } : undefined;
}

/** A route without a handler, or a handler for no route, is a start-up error. */
function checkHandlers(routes: readonly RouteSpec[], handlers: Record<string, RouteHandler>): void {
  const actions = new Set(routes.map((r) => r.action));
  const problems = [...routes.filter((r) => !handlers[r.action]).map((r) => `${r.action}: no handler`), ...Object.keys(handlers).filter((a) => !actions.has(a)).map((a) => `${a}: handler for a route the topology does not declare`)];
  if (problems.length) throw new TypeError(`mesh router: ${problems.join('; ')}`);
}

export function createMeshRouter(options: MeshRouterOptions): (req: IncomingMessage, res: ServerResponse, peer: PeerIdentity | undefined) => void {
  checkHandlers(options.routes, options.handlers);
  const guards = [headerGuard, ...(options.enforceCallers === false ? [] : [callerGuard]), ...(options.guards ?? [])];
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
    const facts: RouteFacts = {};
    const ctx: RouteContext = {
      req,
      res,
      peer,
      route: match.route,
      params: match.params,
      requestId,
      correlationId: correlation ? [correlation.correlationId, correlation.scenarioId].filter(Boolean).join('/') : undefined,
      correlationHeader: correlation ? formatCorrelationHeader(correlation) : undefined,
      facts,
      authorize: (resource) => (options.authorize ? options.authorize(ctx, resource) : Promise.resolve(NO_POLICY_PLANE)),
    };
    const refuse = (refusal: Refusal): void => {
      req.resume();
      options.onRefusal?.(ctx, refusal);
      sendError(res, refusal.status, refusal.reason, requestId, refusal.extra ?? {}, refusal.headers ?? {});
      finish(ctx, match.route.path, refusal);
    };
    annotateServerSpan({ route: match.route.path, method: match.route.method, ...(peer ? { peerSpiffeId: peer.spiffeId } : {}), headers: req.headers });
    void (async () => {
      for (const guard of guards) {
        const outcome = await guard(ctx);
        if (outcome && 'verified' in outcome) Object.assign(facts, outcome.verified);
        else if (outcome) return refuse(outcome);
      }
      const refusal = await options.handlers[match.route.action]!(ctx);
      if (refusal) return refuse(refusal);
      finish(ctx, match.route.path);
    })().catch((err: unknown) => {
      if (err instanceof BodyError) {
        sendError(res, err.status, err.reason, requestId, { detail: err.message });
      } else if (err instanceof DependencyUnavailable) {
        options.onError?.(ctx, err);
        sendError(res, err.status, err.reason, requestId, {}, { 'retry-after': '1' });
      } else {
        options.onError?.(ctx, err);
        sendError(res, 500, 'internal_error', requestId);
      }
      finish(ctx, match.route.path);
    });
  };
}
