import { bearer, newReference, tokenRejectionScenario } from '../../harness/gate/token-rejection.ts';

export const scenario = tokenRejectionScenario({
  meta: {
    id: 'tokens.wrong-type',
    title: 'A genuine token of another type (a transaction token) is refused as an access token',
    plane: 'tokens',
    severity: 'high',
    threat: 'Token confusion: a validly signed token of one kind is accepted where another is required (RFC 8725 §3.11).',
    tags: ['tokens', 'typ'],
    control: { kind: 'setting', location: 'services/kit/workload/settings.ts', description: 'checkTokenType is true (explicit typ: at+jwt, txn+jwt)' },
  },
  reason: 'token_wrong_type',
  attack: async (_ctx, legit, send) => send(legit.gateway, { authorization: bearer(legit.txnToken), 'txn-token': legit.txnToken }, newReference('tok-typ')),
});
