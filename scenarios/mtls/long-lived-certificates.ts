import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, expectation, type Check } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';
import { SERVICE_NAMES } from '../../services/topology.ts';

const MAX_LIFETIME_MS = 3_600_000;

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'mtls.long-lived-certificates',
    title: 'Every SVID in use, and every SVID the CA issues by default, lives at most an hour',
    plane: 'mtls',
    severity: 'medium',
    threat: 'Long-lived certificates: a stolen key stays useful for days, and revocation becomes the only defence.',
    tags: ['transport', 'posture', 'rotation'],
    control: { kind: 'setting', location: 'services/kit/workload/settings.ts', description: 'svidTtlSeconds (600) bounds every SVID the CA issues' },
  },
  inject,
  async expect(_ctx, { workloads, issued }) {
    const control: Check[] = workloads.map((w) => check(`${w.service}'s SVID expires within an hour`, true, w.remainingMs > 0 && w.remainingMs <= MAX_LIFETIME_MS, w));
    control.push(check('a default SVID from the CA lives at most an hour', true, issued.lifetimeMs > 0 && issued.lifetimeMs <= MAX_LIFETIME_MS, issued));
    return expectation(control, []);
  },
});

async function inject(ctx: MeshContext) {
  const operator = await ctx.actor('operator');
  const workloads = [];
  for (const service of SERVICE_NAMES) {
    const health = (await operator.call(service, 'GET', '/healthz')).json<{ svidNotAfter?: string }>();
    workloads.push({ service, notAfter: health.svidNotAfter ?? null, remainingMs: Date.parse(health.svidNotAfter ?? '') - Date.now() });
  }
  const svid = await ctx.engine.operator.issueSvid({ spiffeId: 'spiffe://meshgate.test/posture-probe' });
  return { workloads, issued: { notBefore: svid.notBefore, notAfter: svid.notAfter, lifetimeMs: Date.parse(svid.notAfter) - Date.parse(svid.notBefore) } };
}
