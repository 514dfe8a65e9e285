import { createPublicKey } from 'node:crypto';
import { forgeHmacWithPublicKey } from '../../harness/attacks/token-forge.ts';
import { bearer, newReference, tokenRejectionScenario } from '../../harness/gate/token-rejection.ts';

export const scenario = tokenRejectionScenario({
  meta: {
    id: 'tokens.hmac-key-confusion',
    title: 'An HS256 token keyed with the published public key is refused',
    plane: 'tokens',
    severity: 'critical',
    threat: 'Key confusion: the attacker signs with HMAC using the public key a naive verifier would use as the secret.',
    tags: ['tokens', 'forgery'],
    control: { kind: 'code', location: 'services/kit/tokens/signed-jwt.ts', description: 'algorithm allow-list; the key decides the algorithm' },
  },
  reason: 'token_alg_not_allowed',
  attack: async (_ctx, legit, send) => {
    const jwks = (await legit.gateway.call('sts', 'GET', '/.well-known/jwks.json')).json<{ keys: Array<Record<string, unknown>> }>();
    const pem = createPublicKey({ key: jwks.keys[0]!, format: 'jwk' } as Parameters<typeof createPublicKey>[0]).export({ format: 'pem', type: 'spki' }).toString();
    return send(legit.gateway, { authorization: bearer(forgeHmacWithPublicKey(legit.accessToken, pem)), 'txn-token': legit.txnToken }, newReference('tok-hmac'));
  },
});
