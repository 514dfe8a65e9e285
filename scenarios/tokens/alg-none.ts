import { forgeAlgNone } from '../../harness/attacks/token-forge.ts';
import { bearer, newReference, tokenRejectionScenario } from '../../harness/gate/token-rejection.ts';

export const scenario = tokenRejectionScenario({
  meta: {
    id: 'tokens.alg-none',
    title: 'An unsigned token (alg none) is refused',
    plane: 'tokens',
    severity: 'critical',
    threat: 'An attacker strips the signature and declares alg none.',
    tags: ['tokens', 'forgery'],
    control: { kind: 'code', location: 'services/kit/tokens/signed-jwt.ts', description: 'algorithm allow-list ES256/EdDSA' },
  },
  reason: 'token_alg_not_allowed',
  attack: (_ctx, legit, send) => send(legit.gateway, { authorization: bearer(forgeAlgNone(legit.accessToken)), 'txn-token': legit.txnToken }, newReference('tok-none')),
});
