/**
 * The policy decision point as a mesh workload: decisions over mTLS from a
 * pre-parsed Cedar policy set, OPA-style decision logs with sensitive fields
 * masked, and the operator's policy push and rollback (audited, versioned).
 */
import { audit } from '../kit/log/audit.ts';
import { createLogger } from '../kit/log/logger.ts';
import { readJsonBody, BodyError } from '../kit/http/json-body.ts';
import { sendError, sendJson } from '../kit/http/respond.ts';
import type { MtlsRouteHandler } from '../kit/http/mesh-router.ts';
import { startWorkload, type Workload } from '../kit/workload/runtime.ts';
import { systemClock, type Clock } from '../kit/clock.ts';
import type { WorkloadConfig } from '../kit/workload/config.ts';
import { statePaths } from '../kit/state-layout.ts';
import { PACKAGE_POLICY_DIR } from './policy-directory-default.ts';
import { buildDecisionLogRecord } from './decision-log.ts';
import { POLICY_VERSION_HEADER, validateDecisionRequest, type DecisionRequest } from '../kit/pep/decision-types.ts';
import { PdpEngine } from './pdp-engine.ts';
import { PolicyStore } from './policy-store.ts';
import { formatProblem } from './policy-problem.ts';

export interface PdpService {
  workload: Workload;
  store: PolicyStore;
  close(): Promise<void>;
}

export async function startPdpService(config: WorkloadConfig, joinToken: string | undefined, policyDir = PACKAGE_POLICY_DIR, clock: Clock = systemClock): Promise<PdpService> {
  const store = await PolicyStore.fromDirectory(policyDir, { clock });
  const engine = new PdpEngine({ policies: store });
  const decisions = createLogger({ service: 'pdp-decisions', destination: statePaths(config.stateDir).log('pdp-decisions') });

  const versionBody = () => ({ version: store.version, files: store.current().files, history: store.history() });
  const handlers = (workload: Workload): Record<string, MtlsRouteHandler> => ({
    'POST /v1/decide': async (ctx) => {
      const body = await readJsonBody(ctx.req, 32 * 1024);
      const problems = validateDecisionRequest(body);
      if (problems.length) throw new BodyError('body_invalid', problems.join('; '));
      const request = body as DecisionRequest;
      const started = performance.now();
      const response = engine.decide(request);
      const latencySeconds = (performance.now() - started) / 1000;
      decisions.info({ ...buildDecisionLogRecord({ request, response, latencySeconds, at: Date.now() }), caller: ctx.peer!.spiffeId }, 'decision');
      workload.metrics.authzDecisions.inc({ decision: response.decision, reason: response.errors.length ? 'pdp_error' : response.decision === 'allow' ? 'none' : 'pdp_denied' });
      sendJson(ctx.res, 200, response, { [POLICY_VERSION_HEADER]: response.policyVersion });
    },
    'GET /admin/policies': ({ res }) => sendJson(res, 200, versionBody()),
    'PUT /admin/policies': async (ctx) => {
      const body = await readJsonBody(ctx.req, 256 * 1024);
      const files = (body as { files?: unknown })?.files;
      if (files === null || typeof files !== 'object' || Array.isArray(files) || Object.values(files).some((t) => t !== null && typeof t !== 'string')) {
        throw new BodyError('body_invalid', 'files must be an object of file name to Cedar text (or null to remove)');
      }
      const result = store.update(files as Record<string, string | null>, { actor: ctx.peer!.spiffeId, merge: (body as { merge?: unknown }).merge === true });
      if (!result.accepted) {
        // The operator sees every problem with file, line and Cedar's message; the last good set stays in force.
        sendJson(ctx.res, 422, { error: 'body_invalid', request_id: ctx.requestId, detail: 'policy set refused; the last good set stays in force', version: store.version, problems: result.problems.map(formatProblem) });
        return;
      }
      sendJson(ctx.res, 200, { version: result.version, previousVersion: result.previousVersion });
    },
    'POST /admin/rollback': async (ctx) => {
      const body = (await readJsonBody(ctx.req, 4 * 1024).catch(() => ({}))) as { toVersion?: unknown };
      const options: { actor: string; toVersion?: string } = { actor: ctx.peer!.spiffeId };
      if (typeof body?.toVersion === 'string') options.toVersion = body.toVersion;
      const result = store.rollback(options);
      if (!result.accepted) return sendError(ctx.res, 409, 'body_invalid', ctx.requestId, { detail: 'nothing to roll back to' });
      sendJson(ctx.res, 200, { version: result.version, previousVersion: result.previousVersion });
    },
  });

  const spec: Parameters<typeof startWorkload>[0] = { config, handlers, clock };
  if (joinToken !== undefined) spec.joinToken = joinToken;
  const workload = await startWorkload(spec);
  store.onAudit((record) => {
    const { event, ...fields } = record as unknown as { event: string } & Record<string, unknown>;
    audit(workload.logger, { ...fields, event: record.outcome === 'accepted' ? (event === 'policy.rollback' ? 'policy_rolled_back' : 'policy_updated') : 'policy_refused', policy_event: event });
  });
  workload.onClose(() => decisions.flush());
  return { workload, store, close: () => workload.close() };
}
