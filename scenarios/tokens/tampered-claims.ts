import { tamperClaims } from '../../harness/attacks/token-forge.ts';
import { bearer, newReference, tokenRejectionScenario } from '../../harness/gate/token-rejection.ts';

export const scenario = tokenRejectionScenario({
  meta: {
    id: 'tokens.tampered-claims',
    title: 'A token whose claims were edited is refused',
    plane: 'tokens',
    severity: 'critical',
    threat: 'An attacker extends a token’s lifetime by editing exp and keeps the original signature.',
    tags: ['tokens', 'forgery'],
    control: { kind: 'code', location: 'services/kit/tokens/signed-jwt.ts', description: 'signature verified before any claim is read' },
  },
  reason: 'token_bad_signature',
  attack: (_ctx, legit, send) => send(legit.gateway, { authorization: bearer(tamperClaims(legit.accessToken, { exp: Math.floor(Date.now() / 1000) + 86_400 })), 'txn-token': legit.txnToken }, newReference('tok-tamper')),
});
