import { auditLogged, metricEventually } from '../../harness/gate/detections.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';

const MAX_READS = 80;

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'policy.ledger-exfiltration',
    title: 'A compromised payments identity reading ledger entries in a loop is stopped with 429 rate_limited',
    plane: 'policy',
    severity: 'high',
    threat: 'An attacker holding the payments identity walks the ledger entry by entry.',
    tags: ['policy', 'rate-limit', 'exfiltration'],
    control: { kind: 'setting', location: 'services/kit/workload/settings.ts', description: 'ledgerReadsPerSecond bounds entry reads per caller identity' },
  },
  inject,
  async expect(ctx, { statuses, cursor, before }) {
    return expectation(
      [check(`the ledger answered 429 rate_limited within ${MAX_READS} reads`, true, statuses.includes(429), statuses.length)],
      [
        await auditLogged(cursor, { event: 'request_refused', reason: 'rate_limited', peer_spiffe_id: 'spiffe://meshgate.test/payments' }),
        await metricEventually(ctx, 'ledger', before, 'meshgate_rate_limited_total', { route: 'GET /entries/:id' }),
      ],
    );
  },
});

async function inject(ctx: MeshContext) {
  const gateway = await ctx.actor('gateway');
  const payments = await ctx.actor('payments');
  const userToken = await ctx.user.login('alice');
  const access = await payments.accessToken('ledger');
  const cursor = ctx.mark('ledger');
  const before = await ctx.scrape('ledger');
  const statuses: number[] = [];
  for (let i = 0; i < MAX_READS && !statuses.includes(429); i++) {
    // Every read carries a fresh transaction token: the replay cache is not what stops the loop.
    const txn = await gateway.transactionToken(userToken, 1);
    const res = await payments.call('ledger', 'GET', `/entries/walk-${i}`, { headers: { authorization: `Bearer ${access}`, 'txn-token': txn } });
    statuses.push(res.status);
  }
  return { statuses, cursor, before };
}
