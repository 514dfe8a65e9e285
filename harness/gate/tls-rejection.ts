/**
 * The shape shared by every transport attack: an attacker's own TLS client
 * connects to a workload's mTLS port with the material the scenario gives it.
 * The control held when no HTTP answer came back and the workload recorded the
 * exact reason; operators saw it when the audit line, the failure counter and
 * the handshake span all carry that reason.
 */
import type { TlsReason } from '../../services/kit/reasons.ts';
import type { ServiceName } from '../../services/topology.ts';
import { probePlaintext, probeTls, type ProbeOutcome, type ProbeRequest } from '../attacks/tls-probe.ts';
import { check, expectation } from '../scenario/check.ts';
import { scenarioDefiner, type Scenario } from '../scenario/define.ts';
import type { ScenarioMeta } from '../scenario/meta.ts';
import { auditLogged, metricEventually, spanRecorded } from './detections.ts';
import type { MeshContext } from './mesh-context.ts';
import type { MetricsSnapshot } from '../collectors/metrics-scraper.ts';
import type { LogCursor } from '../evidence/log-cursor.ts';

const define = scenarioDefiner<MeshContext>();

export interface TlsAttack {
  meta: ScenarioMeta;
  target: ServiceName;
  reason: TlsReason;
  /** The attacker's TLS material; `plaintext` speaks HTTP without TLS. */
  material(ctx: MeshContext): Promise<Omit<ProbeRequest, 'url'> | 'plaintext'>;
}

interface Injected {
  outcome: ProbeOutcome;
  cursor: LogCursor;
  before: MetricsSnapshot;
}

export function tlsRejectionScenario(attack: TlsAttack): Scenario<MeshContext, Injected> {
  return define<Injected>({
    meta: attack.meta,
    async inject(ctx) {
      const cursor = ctx.mark(attack.target);
      const before = await ctx.scrape(attack.target);
      const material = await attack.material(ctx);
      const url = `${ctx.engine.endpoint(attack.target).url}/healthz`;
      const outcome = material === 'plaintext' ? await probePlaintext(url) : await probeTls({ url, ca: ctx.engine.trustBundle(), ...material });
      ctx.latency('attackHandshakeUs', outcome.durationMs * 1000);
      return { outcome, cursor, before };
    },
    async expect(ctx, { outcome, cursor, before }) {
      const audit = await auditLogged(cursor, { event: 'tls_rejected', reason: attack.reason });
      return expectation(
        [
          // Refused by the workload, not by a dead port: the TCP connection was accepted, then no HTTP answer came.
          check('the workload accepted the connection and sent no HTTP answer', { accepted: true, answered: false }, { accepted: outcome.error !== 'ECONNREFUSED' && outcome.error !== 'timeout', answered: outcome.answered }, { status: outcome.status, error: outcome.error, handshake: outcome.handshake }),
          check(`${attack.target} refused with reason ${attack.reason}`, attack.reason, (audit.observed as { reason?: unknown }).reason ?? null, audit.evidence),
        ],
        [
          audit,
          await metricEventually(ctx, attack.target, before, 'meshgate_tls_handshake_failures_total', { reason: attack.reason }),
          await spanRecorded(ctx, attack.target, 'tls.handshake', { 'error.type': attack.reason }),
        ],
      );
    },
  });
}
