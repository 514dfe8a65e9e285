import { tlsRejectionScenario } from '../../harness/gate/tls-rejection.ts';

export const scenario = tlsRejectionScenario({
  meta: {
    id: 'mtls.rogue-ca',
    title: 'A certificate from a rogue CA with a real SPIFFE ID is refused',
    plane: 'mtls',
    severity: 'critical',
    threat: 'An attacker runs their own CA and mints a certificate claiming to be the gateway.',
    tags: ['transport', 'trust-bundle'],
    control: { kind: 'code', location: 'services/kit/mtls/server.ts', description: 'peers are verified against the mesh trust bundle only' },
  },
  target: 'payments',
  reason: 'cert_untrusted',
  material: async (ctx) => {
    const svid = await (await ctx.rogueCa()).issue({ spiffeId: 'spiffe://meshgate.test/gateway' });
    return { cert: svid.certPem, key: svid.keyPem! };
  },
});
