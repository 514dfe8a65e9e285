import { tlsRejectionScenario } from '../../harness/gate/tls-rejection.ts';

export const scenario = tlsRejectionScenario({
  meta: {
    id: 'mtls.wrong-trust-domain',
    title: 'An SVID of another trust domain is refused',
    plane: 'mtls',
    severity: 'high',
    threat: 'A workload of a federated or neighbouring trust domain presents itself as one of ours.',
    tags: ['transport', 'svid'],
    control: { kind: 'code', location: 'services/kit/mtls/peer-identity.ts', description: 'the peer SPIFFE ID must be in spiffe://meshgate.test' },
  },
  target: 'payments',
  reason: 'svid_invalid',
  material: async (ctx) => {
    const svid = await ctx.engine.operator.issueSvid({ spiffeId: 'spiffe://other.test/gateway', allowForeignTrustDomain: true });
    return { cert: svid.certPem, key: svid.keyPem };
  },
});
