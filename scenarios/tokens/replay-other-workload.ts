import { bearer, newReference, tokenRejectionScenario } from '../../harness/gate/token-rejection.ts';

export const scenario = tokenRejectionScenario({
  meta: {
    id: 'tokens.replay-other-workload',
    title: 'An access token presented over another certificate is refused',
    plane: 'tokens',
    severity: 'critical',
    threat: 'A token stolen from the gateway is replayed by another workload instance over its own certificate.',
    tags: ['tokens', 'binding', 'replay'],
    control: { kind: 'setting', location: 'services/kit/workload/settings.ts', description: 'tokenBinding is true (RFC 8705 cnf x5t#S256)' },
  },
  reason: 'token_cert_mismatch',
  attack: async (ctx, legit, send) => {
    const thief = await ctx.actor('gateway');
    return send(thief, { authorization: bearer(legit.accessToken), 'txn-token': legit.txnToken }, newReference('tok-stolen'));
  },
});
