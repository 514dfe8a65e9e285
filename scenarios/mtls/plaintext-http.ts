import { probePlaintext } from '../../harness/attacks/tls-probe.ts';
import { auditLogged, metricEventually, spanRecorded } from '../../harness/gate/detections.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';

/** Plain HTTP to the mTLS port is refused, and no workload listens anywhere without TLS. */
export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'mtls.plaintext-http',
    title: 'Plain HTTP is answered on no workload port',
    plane: 'mtls',
    severity: 'critical',
    threat: 'A client (or a debug listener left open by a bad deploy) talks to a workload without TLS, bypassing identity.',
    tags: ['transport', 'exposure'],
    control: { kind: 'setting', location: 'services/kit/workload/settings.ts', description: 'plaintextPort is false; every listener is TLS' },
  },
  inject,
  async expect(ctx, { direct, sweep, cursor, before }) {
    const audit = await auditLogged(cursor, { event: 'tls_rejected', reason: 'tls_plaintext' });
    const answered = sweep.filter((s) => s.answered).map((s) => `${s.service}:${s.port} answered ${s.status}`);
    return expectation(
      [
        check('the payments mTLS port accepted plain HTTP and sent no HTTP answer', { accepted: true, answered: false }, { accepted: direct.error !== 'ECONNREFUSED' && direct.error !== 'timeout', answered: direct.answered }, { status: direct.status, error: direct.error }),
        check('no workload port answers plain HTTP', [], answered, { probed: sweep.map((s) => `${s.service}:${s.port}`) }),
        // The sweep proves something only if it found every workload's listeners, the payments mTLS port among them.
        check('every workload had its listening ports probed', ctx.engine.services().map((s) => s.name).sort(), [...new Set(sweep.map((s) => s.service))].sort()),
        check('the sweep included the payments mTLS port', true, sweep.some((s) => s.service === 'payments' && `${s.port}` === new URL(ctx.engine.endpoint('payments').url).port)),
      ],
      [audit, await metricEventually(ctx, 'payments', before, 'meshgate_tls_handshake_failures_total', { reason: 'tls_plaintext' }), await spanRecorded(ctx, 'payments', 'tls.handshake', { 'error.type': 'tls_plaintext' })],
    );
  },
});

async function inject(ctx: MeshContext) {
  const cursor = ctx.mark('payments');
  const before = await ctx.scrape('payments');
  const direct = await probePlaintext(`${ctx.engine.endpoint('payments').url}/healthz`);
  const sweep: Array<{ service: string; port: number; answered: boolean; status?: number }> = [];
  for (const { name: service } of ctx.engine.services()) {
    for (const port of await ctx.engine.listeningPorts(service)) {
      const outcome = await probePlaintext(`http://127.0.0.1:${port}`, '/healthz', 2000);
      const entry: (typeof sweep)[number] = { service, port, answered: outcome.answered };
      if (outcome.status !== undefined) entry.status = outcome.status;
      sweep.push(entry);
    }
  }
  return { direct, sweep, cursor, before };
}
