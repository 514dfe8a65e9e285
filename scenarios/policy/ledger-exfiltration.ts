import { auditLogged, metricEventually } from '../../harness/gate/detections.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, checkAtLeast, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';
import { DEFAULT_SETTINGS } from '../../services/kit/workload/settings.ts';

const MAX_READS = 120;
/** Reads in flight at once: the walk must outrun the limit by far, also on a loaded machine. */
const CONCURRENCY = 8;
/**
 * The reference limit and its burst of twice that: a walk slower than twice the limit never empties the
 * bucket, so it proves nothing either way (an error, not a failed control). At twice the limit the bucket
 * is empty after 2 s, within the 3 s that MAX_READS take at that pace.
 */
const LIMIT = DEFAULT_SETTINGS.ledgerReadsPerSecond;

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
  async expect(ctx, { statuses, readsPerSecond, cursor, before }) {
    return expectation(
      [check(`the ledger answered 429 rate_limited within ${MAX_READS} reads`, true, statuses.includes(429), { reads: statuses.length, readsPerSecond })],
      [
        await auditLogged(cursor, { event: 'request_refused', reason: 'rate_limited', peer_spiffe_id: 'spiffe://meshgate.test/payments' }),
        await metricEventually(ctx, 'ledger', before, 'meshgate_rate_limited_total', { route: 'GET /entries/:id' }),
      ],
      [checkAtLeast(`entry reads per second sent (twice the reference limit of ${LIMIT}/s)`, 2 * LIMIT, readsPerSecond, { reads: statuses.length })],
    );
  },
});

async function inject(ctx: MeshContext) {
  const gateway = await ctx.actor('gateway');
  const payments = await ctx.actor('payments');
  const userToken = await ctx.user.login('alice');
  const access = await payments.accessToken('ledger');
  // Every read carries a fresh transaction token (the replay cache is not what stops the walk), minted before it starts.
  const txns: string[] = [];
  while (txns.length < MAX_READS) txns.push(...(await Promise.all(Array.from({ length: Math.min(CONCURRENCY, MAX_READS - txns.length) }, () => gateway.transactionToken(userToken, 1)))));
  const cursor = ctx.mark('ledger');
  const before = await ctx.scrape('ledger');
  const statuses: number[] = [];
  let next = 0;
  const started = performance.now();
  const walker = async () => {
    while (next < MAX_READS && !statuses.includes(429)) {
      const i = next++;
      const res = await payments.call('ledger', 'GET', `/entries/walk-${i}`, { headers: { authorization: `Bearer ${access}`, 'txn-token': txns[i]! } });
      statuses.push(res.status);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, walker));
  const readsPerSecond = Math.round(statuses.length / ((performance.now() - started) / 1000));
  return { statuses, readsPerSecond, cursor, before };
}
