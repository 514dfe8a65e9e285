/**
 * Connection modes on the mTLS rung: keep-alive, a new connection with a full
 * handshake (the default hybrid post-quantum group, and the classical group
 * alone beside it), a new connection resumed.
 */
import { CLASSICAL_TLS_GROUPS, DEFAULT_TLS_GROUPS } from '../../services/kit/mtls/key-exchange.ts';
import { cpuSpec, measureClosed, recordPercentiles, rotated, type BenchContext } from './bench-context.ts';
import { rungById } from './ladder-rungs.ts';
import { planFor } from './ladder-suite.ts';
import { keepAliveSender, newConnectionSender, type Sender } from './senders.ts';

const MODES = [
  { id: 'keep-alive', label: 'mTLS keep-alive request' },
  { id: 'full', label: 'new connection: full mTLS handshake + first request (X25519MLKEM768, the default)' },
  { id: 'full-classical', label: 'new connection: full mTLS handshake + first request, classical key exchange (X25519)' },
  { id: 'resumed', label: 'new connection: resumed mTLS handshake + first request' },
] as const;

export async function connectionRep(ctx: BenchContext, rep: number): Promise<void> {
  const rung = rungById('mtls');
  const port = ctx.ladder.ports[rung.id]!;
  for (const mode of rotated(MODES, rep)) {
    const plan = await planFor(ctx, rung, ctx.config.connections);
    const connection = mode.id === 'keep-alive' ? undefined : newConnectionSender(rung, port, ctx.ladder.client, plan, mode.id === 'resumed', mode.id === 'full-classical' ? CLASSICAL_TLS_GROUPS : DEFAULT_TLS_GROUPS);
    const sender: Sender = connection ?? keepAliveSender(rung, port, ctx.ladder.client, plan, 1);
    try {
      const before = connection?.stats();
      const m = await measureClosed(ctx, sender, 1, ctx.config.connections);
      recordPercentiles(ctx, `connections.${mode.id}`, mode.label, m.histogram);
      ctx.recorder.record(cpuSpec(`connections.${mode.id}.cpu`, `${mode.label}, server CPU per request`), m.cpuPerRequestUs);
      if (connection && before && mode.id === 'resumed') {
        const after = connection.stats();
        const made = after.connections - before.connections;
        ctx.recorder.record({ id: 'connections.resumed.rate', label: 'reconnects actually resumed', unit: 'percent', better: 'higher' }, made ? (100 * (after.resumed - before.resumed)) / made : 0);
      }
    } finally {
      sender.close();
    }
  }
}
