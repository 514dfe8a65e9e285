import { tlsRejectionScenario } from '../../harness/gate/tls-rejection.ts';

export const scenario = tlsRejectionScenario({
  meta: {
    id: 'mtls.invalid-svid-shape',
    title: 'A leaf with CA=true and two URI SANs is refused',
    plane: 'mtls',
    severity: 'high',
    threat: 'A misissued certificate carries two identities or can sign certificates of its own.',
    tags: ['transport', 'svid'],
    control: { kind: 'code', location: 'services/kit/mtls/peer-identity.ts', description: 'exactly one URI SAN and CA=false' },
  },
  target: 'payments',
  reason: 'svid_invalid',
  material: async (ctx) => {
    const svid = await ctx.engine.operator.issueSvid({ spiffeId: 'spiffe://meshgate.test/gateway', malformed: { ca: true, extraUris: ['spiffe://meshgate.test/ledger'] } });
    return { cert: svid.certPem, key: svid.keyPem };
  },
});
