import { auditLogged } from '../../harness/gate/detections.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';
import { spiffeIdFor } from '../../services/kit/spiffe.ts';

/** Edges the topology does not declare: each callee would refuse the call, so the token must not exist at all. */
const UNDECLARED = [
  ['gateway', 'ledger'],
  ['gateway', 'sts'],
  ['payments', 'gateway'],
] as const;

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'tokens.undeclared-audience',
    title: 'The token service issues no access token for an edge the topology does not declare',
    plane: 'tokens',
    severity: 'medium',
    threat: 'A compromised workload collects access tokens for services it never calls, ready for the day a callee check slips.',
    tags: ['tokens', 'least-privilege', 'topology'],
    control: { kind: 'setting', location: 'services/kit/workload/settings.ts', description: 'widenTokenAudiences is false: audiences are only declared edges (services/topology.ts)' },
  },
  inject,
  async expect(_ctx, { answers, cursor }) {
    return expectation(
      answers.map((a) => check(`${a.caller} → ${a.audience} refused with invalid_target`, { status: 400, error: 'invalid_target' }, { status: a.status, error: a.error }, a)),
      [await auditLogged(cursor, { event: 'token_refused', error: 'invalid_target', audience: spiffeIdFor('ledger') })],
    );
  },
});

async function inject(ctx: MeshContext) {
  const cursor = ctx.mark('sts');
  const answers = [];
  for (const [caller, callee] of UNDECLARED) {
    const actor = await ctx.actor(caller);
    const res = await actor.call('sts', 'POST', '/token', { form: { grant_type: 'client_credentials', audience: spiffeIdFor(callee) } });
    answers.push({ caller, audience: callee, status: res.status, error: res.json<{ error?: string }>().error });
  }
  return { answers, cursor };
}
