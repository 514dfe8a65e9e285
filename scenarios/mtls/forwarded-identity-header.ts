import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, expectation, type Check } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';
import { auditLogged } from '../../harness/gate/detections.ts';
import { OPERATOR_ID, SERVICE_NAMES } from '../../services/topology.ts';

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'mtls.forwarded-identity-header',
    title: 'A forged x-forwarded-client-cert naming the operator is ignored on every workload',
    plane: 'mtls',
    severity: 'critical',
    threat: 'Weak internal trust: an east-west hop accepts a caller by a header instead of its certificate.',
    tags: ['transport', 'identity', 'posture'],
    control: { kind: 'setting', location: 'services/kit/workload/settings.ts', description: 'trustForwardedClientCert is false: identity comes from the TLS peer certificate only' },
  },
  inject,
  async expect(_ctx, { answers, cursor }) {
    const control: Check[] = answers.map((a) => check(`${a.service} /metrics refused the ledger identity despite the header`, 403, a.status));
    return expectation(control, [await auditLogged(cursor, { event: 'request_refused', reason: 'spiffe_id_not_allowed', peer_spiffe_id: 'spiffe://meshgate.test/ledger' })]);
  },
});

async function inject(ctx: MeshContext) {
  const ledger = await ctx.actor('ledger');
  const cursor = ctx.mark('payments');
  const answers = [];
  for (const service of SERVICE_NAMES) {
    const res = await ledger.call(service, 'GET', '/metrics', { headers: { 'x-forwarded-client-cert': `URI=${OPERATOR_ID}` } });
    answers.push({ service, status: res.status });
  }
  return { answers, cursor };
}
