import { randomBytes } from 'node:crypto';
import { expectEvery, selectSpans } from '../../harness/collectors/trace-query.ts';
import type { SpanRecord } from '../../harness/collectors/span-record.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { newReference } from '../../harness/gate/reference.ts';
import { samplePayment } from '../../harness/actors/payment.ts';
import { check, checkThat, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';

/** The hops behind the gateway that a payment reaches, each deciding once: payments, kms (the card's data key) and the ledger. */
const DECIDING_HOPS = ['payments', 'kms', 'ledger'] as const;

/**
 * Operators can follow one payment end to end: a single trace whose server
 * spans at payments, kms and ledger show the verified caller, and whose decisions
 * carry decision id and policy version, tagged with the scenario that caused it.
 */
export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'observability.payment-trace',
    title: 'A payment is one trace with the verified caller and the decision on every hop',
    plane: 'observability',
    severity: 'medium',
    threat: 'An incident cannot be reconstructed because hops do not share a trace or spans lack who called and why it was allowed.',
    tags: ['observability', 'tracing'],
    control: { kind: 'code', location: 'services/kit/telemetry/spans.ts', description: 'security spans on every hop; W3C trace context across hops' },
  },
  inject,
  async expect(ctx, { status, trace }) {
    const servers = selectSpans(trace, { kind: 'SERVER', service: [...DECIDING_HOPS] });
    const decisions = selectSpans(trace, { name: 'meshgate.authz' });
    const peers = expectEvery(servers, (s) => typeof s.attributes['meshgate.peer.spiffe_id'] === 'string', 'every mesh server span shows the verified peer SPIFFE ID');
    const decided = expectEvery(decisions, (s) => typeof s.attributes['meshgate.authz.decision_id'] === 'string' && String(s.attributes['meshgate.authz.policy_version']).startsWith('sha256:'), 'every decision carries its id and policy version');
    const tagged = selectSpans(trace, { attributes: { 'meshgate.scenario_id': ctx.scope.scenarioId } });
    return expectation(
      [
        check('the payment was booked', 201, status),
        check('one trace reaches every hop', ['gateway', ...DECIDING_HOPS].sort(), [...new Set(servers.concat(selectSpans(trace, { kind: 'SERVER', service: 'gateway' })).map((s) => s.service))].sort()),
      ],
      [
        checkThat(peers.message, { ok: peers.ok, expected: 'all', observed: peers.ok ? `${servers.length} spans` : peers.detail, evidence: peers.ok ? peers.spans : peers.span }),
        checkThat(decided.message, { ok: decided.ok && decisions.map((s) => s.service).sort().join() === [...DECIDING_HOPS].sort().join(), expected: `one decision each at ${DECIDING_HOPS.join(', ')}`, observed: decided.ok ? decisions.map((s) => s.service) : decided.detail, evidence: decided.ok ? decided.spans : decided.span }),
        checkThat('spans carry the scenario correlation id', { ok: tagged.length > 0, expected: ctx.scope.scenarioId, observed: `${tagged.length} tagged spans` }),
      ],
    );
  },
});

async function inject(ctx: MeshContext) {
  const token = await ctx.user.login('alice');
  // The harness starts the trace itself (W3C traceparent), so exactly this payment's spans are selected.
  const traceId = randomBytes(16).toString('hex');
  const res = await ctx.user.pay(token, samplePayment(newReference('trace')), { headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } });
  // Spans arrive in batches from several processes: wait (bounded) until every hop and every decision are in.
  const complete = (trace: SpanRecord[]) =>
    selectSpans(trace, { name: 'meshgate.authz' }).length >= DECIDING_HOPS.length && new Set(selectSpans(trace, { kind: 'SERVER', service: ['gateway', ...DECIDING_HOPS] }).map((s) => s.service)).size === DECIDING_HOPS.length + 1;
  let trace = selectSpans(ctx.spans(), { traceId });
  for (let i = 0; i < 50 && !complete(trace); i++) {
    await new Promise((r) => setTimeout(r, 100));
    trace = selectSpans(ctx.spans(), { traceId });
  }
  return { status: res.status, trace };
}
