/**
 * The policy plane of a workload: every authorized route asks the PDP (over
 * mTLS, through a bounded decision cache) once the handler knows the resource,
 * and fails closed when the PDP is unreachable, slow or in error. A deny comes
 * back as a refusal for the route to return; the plane never answers itself.
 */
import { audit } from '../log/audit.ts';
import type { MeshLogger } from '../log/logger.ts';
import type { MeshMetrics } from '../metrics/mesh-metrics.ts';
import type { Clock } from '../clock.ts';
import { withAuthzSpan, type AuthzDecisionRecord } from '../telemetry/spans.ts';
import type { Refusal, RouteContext } from '../http/mesh-router.ts';
import { PolicyEnforcer, type DecideFn, type EnforcementResult } from '../pep/policy-enforcer.ts';
import { PdpAnswerError } from '../pep/pdp-answer-error.ts';
import type { TxnTokenClaims } from '../tokens/claims.ts';
import { POLICY_VERSION_HEADER, type DecisionRequest, type DecisionResponse, type DecisionResource } from '../pep/decision-types.ts';
import type { SecuritySettings } from './settings.ts';
import type { PeerCall } from './peer-call.ts';

/** Amounts cross the policy boundary as integer minor units, so limits compare exactly. */
export function minorUnits(amount: number): number {
  return Math.round(amount * 100);
}

export function txnContext(txn: TxnTokenClaims | undefined): DecisionRequest['context'] {
  if (!txn) return {};
  return { user: txn.sub, scope: txn.scope.split(' ').filter(Boolean), purpose: txn.purp, amount: minorUnits(txn.azd.amount), currency: txn.azd.currency };
}

export interface PolicyPlaneDeps {
  settings: SecuritySettings;
  metrics: MeshMetrics;
  logger: MeshLogger;
  clock: Clock;
  /** Reaches the PDP service (remote mode). */
  call: PeerCall;
  /** The in-process decision point (embedded mode), given by the composition root. */
  embedded?: () => Promise<DecideFn>;
}

export interface PolicyPlane {
  enforcer: PolicyEnforcer;
  /** Decides the request; a refusal (403 pdp_denied, 503 pdp_unavailable/pdp_error) is for the route to return. */
  authorize(ctx: RouteContext, resource: DecisionResource): Promise<Refusal | undefined>;
}

/** The decision as the audit log records it, allow or deny alike. */
function decisionFields(result: EnforcementResult): Record<string, unknown> {
  return { decision: result.allow ? 'allow' : 'deny', decision_id: result.decisionId, policy_ids: result.policyIds, policy_version: result.policyVersion, cached: result.cached };
}

export async function createPolicyPlane({ settings, metrics, logger, clock, call, embedded }: PolicyPlaneDeps): Promise<PolicyPlane> {
  let enforcer: PolicyEnforcer | undefined;
  const remoteDecide: DecideFn = async (request) => {
    const res = await call('pdp', { path: '/v1/decide', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request), timeoutMs: settings.pdpTimeoutMs + 100 });
    if (res.status !== 200) throw new PdpAnswerError(`PDP answered ${res.status}`, res.status);
    const version = res.headers[POLICY_VERSION_HEADER];
    if (typeof version === 'string') enforcer?.onPolicyVersion(version);
    try {
      return res.json<DecisionResponse>();
    } catch {
      throw new PdpAnswerError('PDP answer is not JSON');
    }
  };
  if (settings.pdpEmbedded && !embedded) throw new TypeError('pdpEmbedded is set but this workload was given no embedded decision point');
  const decide = settings.pdpEmbedded && embedded ? await embedded() : remoteDecide;
  enforcer = new PolicyEnforcer({ decide, cacheTtlMs: settings.pdpCacheTtlMs, timeoutMs: settings.pdpTimeoutMs, failOpen: settings.pdpFailOpen, clock });
  const pep = enforcer;

  const record = (result: EnforcementResult): void => {
    metrics.authzDecisions.inc({ decision: result.allow ? 'allow' : 'deny', reason: result.reason ?? 'none' });
    metrics.pdpRequestDuration.observe({ result: result.reason ?? (result.allow ? 'allow' : 'deny') }, result.latencySeconds);
  };

  return {
    enforcer: pep,
    authorize: async (ctx, resource) => {
      const request: DecisionRequest = {
        principal: ctx.peer?.spiffeId ?? 'anonymous',
        action: ctx.route.action,
        resource,
        context: txnContext(ctx.facts.txn),
      };
      if (ctx.facts.txn) request.txn = ctx.facts.txn.txn;
      const result = await withAuthzSpan({ action: request.action, principal: request.principal }, async (span) => {
        const r = await pep.enforce(request);
        const decision: AuthzDecisionRecord = { decision: r.allow ? 'allow' : 'deny', policyIds: r.policyIds, cached: r.cached };
        if (r.policyVersion) decision.policyVersion = r.policyVersion;
        if (r.decisionId) decision.decisionId = r.decisionId;
        if (r.reason) decision.reason = r.reason;
        span.decide(decision);
        return r;
      });
      record(result);
      if (!result.allow) {
        const refusal: Refusal = { status: result.reason === 'pdp_denied' ? 403 : 503, reason: result.reason ?? 'pdp_denied', audit: decisionFields(result) };
        if (result.decisionId) refusal.extra = { decision_id: result.decisionId };
        if (result.detail) refusal.detail = result.detail;
        return refusal;
      }
      // An allow is not a refusal: the plane writes its audit line itself.
      audit(logger, { event: 'authz_decision', reason: result.reason, ...decisionFields(result), route: ctx.route.action, request_id: ctx.requestId, correlation_id: ctx.correlationId, peer_spiffe_id: ctx.peer?.spiffeId, detail: result.detail });
      return undefined;
    },
  };
}
