import { auditLogged } from '../../harness/gate/detections.ts';
import { paymentsUnderLoad } from '../../harness/gate/load.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, checkAtLeast, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';
import type { ServiceName } from '../../services/topology.ts';

const ROTATED: ServiceName[] = ['gateway', 'payments', 'ledger'];
/** Legitimate requests that must be sent around each round of rotations. */
const LOAD_PER_ROUND = 25;

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'rotation.svid-under-load',
    title: 'SVID rotation on every hop under load loses no legitimate request',
    plane: 'rotation',
    severity: 'high',
    threat: 'Certificate rotation drops in-flight traffic, so teams stretch certificate lifetimes instead.',
    tags: ['rotation', 'availability', 'identity'],
    control: { kind: 'code', location: 'services/kit/identity/workload-identity.ts', description: 'renew, then swap credentials without dropping requests' },
    timeoutMs: 45_000,
  },
  inject,
  async expect(_ctx, { load, serials, audits }) {
    return expectation(
      [check('no legitimate request failed', [], load.failures.slice(0, 5), { sent: load.sent }), check('every workload got a new certificate twice', ROTATED.length * 2, serials.size)],
      audits,
      // Too little traffic across the swaps proves nothing either way: inconclusive, not a failed control.
      [checkAtLeast('requests sent while the rotations were under way', LOAD_PER_ROUND * 2, load.sentDuringChange)],
    );
  },
});

async function inject(ctx: MeshContext) {
  const cursors = ROTATED.map((s) => ctx.mark(s));
  const serials = new Set<string>();
  const load = await paymentsUnderLoad(
    ctx.user,
    async (progress) => {
      // Each round waits for traffic before it swaps, and the change lasts until traffic has crossed the last swap.
      for (let round = 0; round < 2; round++) {
        await progress.sentAtLeast(progress.sent + LOAD_PER_ROUND);
        for (const s of ROTATED) serials.add((await ctx.engine.operator.renewSvid(s)).serial);
      }
      await progress.sentAtLeast(progress.sent + LOAD_PER_ROUND);
    },
    { concurrency: 10, minimum: 150 },
  );
  ctx.latency('loadRequests', load.sent);
  const audits = await Promise.all(cursors.map((c) => auditLogged(c, { event: 'svid_rotated' })));
  return { load, serials, audits };
}
