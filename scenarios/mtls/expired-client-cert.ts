import { tlsRejectionScenario } from '../../harness/gate/tls-rejection.ts';

export const scenario = tlsRejectionScenario({
  meta: {
    id: 'mtls.expired-client-cert',
    title: 'An expired client certificate is refused',
    plane: 'mtls',
    severity: 'high',
    threat: 'A stolen certificate keeps working after its lifetime ended.',
    tags: ['transport', 'lifetime'],
    control: { kind: 'setting', location: 'services/kit/workload/settings.ts', description: 'acceptExpiredCerts is false' },
  },
  target: 'payments',
  reason: 'cert_expired',
  material: async (ctx) => {
    const actor = await ctx.actor('gateway', { notBefore: new Date(Date.now() - 2 * 3600_000).toISOString(), notAfter: new Date(Date.now() - 3600_000).toISOString() });
    return { cert: actor.credentials.certPem, key: actor.credentials.keyPem };
  },
});
