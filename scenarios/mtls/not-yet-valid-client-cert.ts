import { tlsRejectionScenario } from '../../harness/gate/tls-rejection.ts';

export const scenario = tlsRejectionScenario({
  meta: {
    id: 'mtls.not-yet-valid-client-cert',
    title: 'A certificate that is not yet valid is refused',
    plane: 'mtls',
    severity: 'medium',
    threat: 'A pre-issued or back-dated certificate is used before its validity starts.',
    tags: ['transport', 'lifetime'],
    control: { kind: 'code', location: 'services/kit/mtls/peer-identity.ts', description: 'notBefore is enforced' },
  },
  target: 'payments',
  reason: 'cert_not_yet_valid',
  material: async (ctx) => {
    const actor = await ctx.actor('gateway', { notBefore: new Date(Date.now() + 3600_000).toISOString(), notAfter: new Date(Date.now() + 7200_000).toISOString() });
    return { cert: actor.credentials.certPem, key: actor.credentials.keyPem };
  },
});
