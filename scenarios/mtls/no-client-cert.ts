import { tlsRejectionScenario } from '../../harness/gate/tls-rejection.ts';

export const scenario = tlsRejectionScenario({
  meta: {
    id: 'mtls.no-client-cert',
    title: 'A client without a certificate is refused',
    plane: 'mtls',
    severity: 'critical',
    threat: 'Anything on the network that can reach a workload port calls it without any identity.',
    tags: ['transport', 'authentication'],
    control: { kind: 'code', location: 'services/kit/mtls/peer-identity.ts', description: 'client certificate required on every mTLS port' },
  },
  target: 'payments',
  reason: 'cert_missing',
  material: async () => ({}),
});
