import { auditLogged } from '../../harness/gate/detections.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, expectation, type Check } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';
import { OPERATOR, SERVICE_NAMES, TOPOLOGY, type ServiceName } from '../../services/topology.ts';

const NESTED = 'spiffe://meshgate.test/evil/operator';
const DOT_SEGMENT = 'spiffe://meshgate.test/gateway/../operator';

/** Every operator-only route of every workload, taken from the topology, so a new route is covered as it is declared. */
function privilegedRoutes(): Array<{ service: ServiceName; method: string; path: string; action: string }> {
  return SERVICE_NAMES.flatMap((service) =>
    TOPOLOGY[service].filter((r) => r.callers.length === 1 && r.callers[0] === OPERATOR).map((r) => ({ service, method: r.method, path: r.path.replace(/:[a-z]+/g, 'x'), action: r.action })),
  );
}

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'mtls.nested-spiffe-id',
    title: 'A nested or dot-segment SPIFFE ID ending in "operator" reaches no operator route',
    plane: 'mtls',
    severity: 'critical',
    threat: 'A caller list that compares only the last path segment treats spiffe://meshgate.test/evil/operator as the operator.',
    tags: ['transport', 'identity', 'topology'],
    control: { kind: 'code', location: 'services/kit/spiffe.ts', description: 'caller lists compare the whole SPIFFE ID; the CA refuses IDs that break the SPIFFE rules' },
  },
  inject,
  async expect(_ctx, { answers, dotSegment, cursors }) {
    const control: Check[] = [check('the topology declares operator-only routes', true, answers.length > 5, answers.length)];
    for (const a of answers) control.push(check(`${a.service} ${a.action} refused ${NESTED}`, { status: 403, error: 'spiffe_id_not_allowed' }, { status: a.status, error: a.error }));
    control.push(check('the CA refuses to issue a dot-segment ID', 'refused', dotSegment, dotSegment));
    const detection = [];
    for (const service of [...new Set(answers.map((a) => a.service))]) detection.push(await auditLogged(cursors.get(service)!, { event: 'request_refused', reason: 'spiffe_id_not_allowed', peer_spiffe_id: NESTED }));
    return expectation(control, detection);
  },
});

async function inject(ctx: MeshContext) {
  const routes = privilegedRoutes();
  const cursors = new Map(routes.map((r) => [r.service, ctx.mark(r.service)] as const));
  const nested = await ctx.actor('evil-operator', { spiffeId: NESTED });
  const answers = [];
  for (const r of routes) {
    const res = await nested.call(r.service, r.method, r.path, r.method === 'GET' ? {} : { body: {} });
    let error: unknown;
    try {
      error = res.json<{ error?: unknown }>().error;
    } catch {
      error = undefined;
    }
    answers.push({ ...r, status: res.status, error });
  }
  const dotSegment = await ctx.engine.operator.issueSvid({ spiffeId: DOT_SEGMENT }).then(
    () => 'issued',
    () => 'refused',
  );
  return { answers, dotSegment, cursors };
}
