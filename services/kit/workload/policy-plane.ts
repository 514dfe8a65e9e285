/**
 * Wires the policy plane into a workload: every authorized route asks the PDP
 * (over mTLS, through a bounded decision cache) once the handler knows the
 * resource, and fails closed when the PDP is unreachable, slow or in error.
 */
import { audit } from '../log/audit.ts';
import { withAuthzSpan, type AuthzDecisionRecord } from '../telemetry/spans.ts';
import type { RouteContext } from '../http/mesh-router.ts';
import { sendError } from '../http/respond.ts';
import { PolicyEnforcer, type EnforcementResult } from '../pep/policy-enforcer.ts';
import { PdpAnswerError } from '../pep/pdp-answer-error.ts';
import type { TxnTokenClaims } from '../tokens/claims.ts';
import { POLICY_VERSION_HEADER, type DecisionRequest, type DecisionResponse, type DecisionResource } from '../../pdp/decision-types.ts';
import type { Workload } from './runtime.ts';

/** Amounts cross the policy boundary as integer minor units, so limits compare exactly. */
export function minorUnits(amount: number): number {
  return Math.round(amount * 100);
}

export function txnContext(txn: TxnTokenClaims | undefined): DecisionRequest['context'] {
  if (!txn) return {};
  return { user: txn.sub, scope: txn.scope.split(' ').filter(Boolean), purpose: txn.purp, amount: minorUnits(txn.azd.amount), currency: txn.azd.currency, txn: txn.txn };
}

export interface PolicyPlane {
  enforcer: PolicyEnforcer;
  /** Decides the request; on refusal it answers 403/503 itself and returns false. */
  authorize(ctx: RouteContext, resource: DecisionResource): Promise<boolean>;
}

/** The same policies and engine as the PDP service, in process: no network hop, no central policy push. */
async function embeddedDecide(): Promise<(request: DecisionRequest) => Promise<DecisionResponse>> {
  // Loaded only in embedded mode: the Cedar engine is not part of a remote-mode workload's start-up.
  const [{ PdpEngine }, { PACKAGE_POLICY_DIR }, { PolicyStore }] = await Promise.all([import('../../pdp/pdp-engine.ts'), import('../../pdp/policy-directory-default.ts'), import('../../pdp/policy-store.ts')]);
  const store = await PolicyStore.fromDirectory(PACKAGE_POLICY_DIR);
  const engine = new PdpEngine({ policies: store });
  return async (request) => engine.decide(request);
}

export async function createPolicyPlane(workload: Workload): Promise<PolicyPlane> {
  const { settings } = workload.config;
  let enforcer: PolicyEnforcer;
  const remoteDecide = async (request: DecisionRequest): Promise<DecisionResponse> => {
    const res = await workload.call('pdp', { path: '/v1/decide', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request), timeoutMs: settings.pdpTimeoutMs + 100 });
    if (res.status !== 200) throw new PdpAnswerError(`PDP answered ${res.status}`, res.status);
    const version = res.headers[POLICY_VERSION_HEADER];
    if (typeof version === 'string') enforcer.onPolicyVersion(version);
    try {
      return res.json<DecisionResponse>();
    } catch {
      throw new PdpAnswerError('PDP answer is not JSON');
    }
  };
  const decide = settings.pdpEmbedded ? await embeddedDecide() : remoteDecide;
  enforcer = new PolicyEnforcer({ decide, cacheTtlMs: settings.pdpCacheTtlMs, timeoutMs: settings.pdpTimeoutMs, failOpen: settings.pdpFailOpen });

  const record = (ctx: RouteContext, result: EnforcementResult): void => {
    workload.metrics.authzDecisions.inc({ decision: result.allow ? 'allow' : 'deny', reason: result.reason ?? 'none' });
    workload.metrics.pdpRequestDuration.observe({ result: result.reason ?? (result.allow ? 'allow' : 'deny') }, result.latencySeconds);
    ctx.facts.decision = { allow: result.allow, decisionId: result.decisionId, policyIds: result.policyIds, policyVersion: result.policyVersion, cached: result.cached, reason: result.reason };
    audit(workload.logger, {
      event: 'authz_decision',
      decision: result.allow ? 'allow' : 'deny',
      reason: result.reason,
      decision_id: result.decisionId,
      policy_ids: result.policyIds,
      policy_version: result.policyVersion,
      cached: result.cached,
      route: ctx.route.action,
      request_id: ctx.requestId,
      correlation_id: ctx.correlationId,
      peer_spiffe_id: ctx.peer?.spiffeId,
      detail: result.detail,
    });
  };

  return {
    enforcer,
    authorize: async (ctx, resource) => {
      const request: DecisionRequest = {
        principal: ctx.peer?.spiffeId ?? 'anonymous',
        action: ctx.route.action,
        resource,
        context: txnContext(ctx.facts.txn as TxnTokenClaims | undefined),
      };
      const result = await withAuthzSpan({ action: request.action, principal: request.principal }, async (span) => {
        const r = await enforcer.enforce(request);
        const decision: AuthzDecisionRecord = { decision: r.allow ? 'allow' : 'deny', policyIds: r.policyIds, cached: r.cached };
        if (r.policyVersion) decision.policyVersion = r.policyVersion;
        if (r.decisionId) decision.decisionId = r.decisionId;
        if (r.reason) decision.reason = r.reason;
        span.decide(decision);
        return r;
      });
      record(ctx, result);
      if (result.allow) return true;
      const status = result.reason === 'pdp_denied' ? 403 : 503;
      sendError(ctx.res, status, result.reason ?? 'pdp_denied', ctx.requestId, result.decisionId ? { decision_id: result.decisionId } : {});
      return false;
    },
  };
}
