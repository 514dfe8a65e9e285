import { bearer, newReference, tokenRejectionScenario } from '../../harness/gate/token-rejection.ts';

export const scenario = tokenRejectionScenario({
  meta: {
    id: 'tokens.wrong-audience',
    title: 'An access token minted for another workload is refused',
    plane: 'tokens',
    severity: 'high',
    threat: 'A token meant for the ledger is used to call payments.',
    tags: ['tokens', 'audience'],
    control: { kind: 'setting', location: 'services/kit/workload/settings.ts', description: 'audienceCheck is true' },
  },
  reason: 'token_wrong_audience',
  attack: async (ctx, legit, send) => {
    // The token service issues a gateway no token for the ledger (undeclared edge), so the ledger-bound token
    // comes from the one workload that may have one. Audience is checked before the certificate binding.
    const payments = await ctx.actor('payments');
    const forLedger = await payments.accessToken('ledger');
    return send(legit.gateway, { authorization: bearer(forLedger), 'txn-token': legit.txnToken }, newReference('tok-aud'));
  },
});
