import { forgeWithOwnKey } from '../../harness/attacks/token-forge.ts';
import { bearer, newReference, tokenRejectionScenario } from '../../harness/gate/token-rejection.ts';

export const scenario = tokenRejectionScenario({
  meta: {
    id: 'tokens.unknown-kid',
    title: 'A token signed with a key the token service never published is refused',
    plane: 'tokens',
    severity: 'critical',
    threat: 'An attacker signs tokens with their own key and names a key id of their choosing.',
    tags: ['tokens', 'forgery', 'jwks'],
    control: { kind: 'code', location: 'services/kit/tokens/jwks-cache.ts', description: 'keys come only from the token service JWKS' },
  },
  reason: 'token_unknown_kid',
  attack: (_ctx, legit, send) => send(legit.gateway, { authorization: bearer(forgeWithOwnKey(legit.accessToken)), 'txn-token': legit.txnToken }, newReference('tok-kid')),
});
