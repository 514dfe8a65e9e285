import { waitForCrl } from '../../harness/gate/crl-propagation.ts';
import { tlsRejectionScenario } from '../../harness/gate/tls-rejection.ts';

export const scenario = tlsRejectionScenario({
  meta: {
    id: 'mtls.revoked-client-cert',
    title: 'A revoked certificate is refused once the CRL reaches the workload',
    plane: 'mtls',
    severity: 'critical',
    threat: 'A workload key leaked and was revoked, but the thief keeps using the certificate.',
    tags: ['transport', 'revocation'],
    control: { kind: 'setting', location: 'services/kit/workload/settings.ts', description: 'checkRevocation is true' },
  },
  target: 'payments',
  reason: 'cert_revoked',
  material: async (ctx) => {
    const actor = await ctx.actor('gateway');
    const revoked = await ctx.engine.operator.revokeCert(actor.serial);
    // The CRL long poll pushes the new list; wait until payments reports it (if it never does, the probe shows it).
    const { propagationMs, pending } = await waitForCrl(ctx.engine, ['payments'], revoked.crlNumber, 3000);
    if (pending.length === 0) ctx.latency('revocationPropagationUs', propagationMs * 1000);
    return { cert: actor.credentials.certPem, key: actor.credentials.keyPem };
  },
});
