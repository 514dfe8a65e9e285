import { tlsRejectionScenario } from '../../harness/gate/tls-rejection.ts';

export const scenario = tlsRejectionScenario({
  meta: {
    id: 'mtls.tls12-downgrade',
    title: 'A client limited to TLS 1.2 is refused',
    plane: 'mtls',
    severity: 'medium',
    threat: 'A downgrade to an older protocol version with weaker handshakes.',
    tags: ['transport', 'protocol'],
    control: { kind: 'code', location: 'services/kit/mtls/server.ts', description: 'minVersion TLSv1.3' },
  },
  target: 'payments',
  reason: 'tls_version',
  material: async (ctx) => {
    const actor = await ctx.actor('gateway');
    return { cert: actor.credentials.certPem, key: actor.credentials.keyPem, maxVersion: 'TLSv1.2' };
  },
});
