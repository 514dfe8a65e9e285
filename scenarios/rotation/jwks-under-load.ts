import { auditLogged } from '../../harness/gate/detections.ts';
import { paymentsUnderLoad } from '../../harness/gate/load.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, checkAtLeast, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';

/** Legitimate requests that must be sent around each rotation. */
const LOAD_PER_ROTATION = 25;

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'rotation.jwks-under-load',
    title: 'Two signing key rotations under load lose no legitimate request',
    plane: 'rotation',
    severity: 'high',
    threat: 'Key rotation breaks token verification mid-flight, so keys never get rotated.',
    tags: ['rotation', 'availability', 'jwks'],
    control: { kind: 'code', location: 'services/sts/signing-keys.ts', description: 'publish next, sign with next, retire old after the longest token lifetime' },
    timeoutMs: 45_000,
  },
  inject,
  async expect(_ctx, { load, kids, audit }) {
    return expectation([check('no legitimate request failed', [], load.failures.slice(0, 5), { sent: load.sent }), check('two new signing keys', 2, new Set(kids).size, kids)], [audit], [checkAtLeast('requests sent while the rotations were under way', LOAD_PER_ROTATION * 2, load.sentDuringChange)]);
  },
});

async function inject(ctx: MeshContext) {
  const cursor = ctx.mark('sts');
  const kids: string[] = [];
  const spacing = 2 * ctx.engine.settings('payments').jwksRefreshMs + 500;
  const load = await paymentsUnderLoad(
    ctx.user,
    async (progress) => {
      for (let i = 0; i < 2; i++) {
        // Verifiers must have fetched the published "next" key before it signs; traffic must meet each rotation.
        await Promise.all([new Promise((r) => setTimeout(r, spacing)), progress.sentAtLeast(progress.sent + LOAD_PER_ROTATION)]);
        kids.push((await ctx.engine.operator.rotateSigningKey()).current);
      }
      await progress.sentAtLeast(progress.sent + LOAD_PER_ROTATION);
    },
    { concurrency: 10, minimum: 150 },
  );
  return { load, kids, audit: await auditLogged(cursor, { event: 'key_rotated' }) };
}
