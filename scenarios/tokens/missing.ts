import { newReference, tokenRejectionScenario } from '../../harness/gate/token-rejection.ts';

export const scenario = tokenRejectionScenario({
  meta: {
    id: 'tokens.missing',
    title: 'A call without an access token is refused',
    plane: 'tokens',
    severity: 'high',
    threat: 'A workload with a valid certificate acts without any token from the token service.',
    tags: ['tokens'],
    control: { kind: 'code', location: 'services/kit/workload/token-plane.ts', description: 'access token required on token-bearing routes' },
  },
  reason: 'token_missing',
  attack: (_ctx, legit, send) => send(legit.gateway, { 'txn-token': legit.txnToken }, newReference('tok-missing')),
});
