import { bearer, newReference, tokenRejectionScenario } from '../../harness/gate/token-rejection.ts';

export const scenario = tokenRejectionScenario({
  meta: {
    id: 'tokens.expired',
    title: 'An expired access token is refused',
    plane: 'tokens',
    severity: 'high',
    threat: 'A token captured earlier is replayed after its lifetime ended.',
    tags: ['tokens', 'lifetime'],
    control: { kind: 'code', location: 'services/kit/tokens/claim-checks.ts', description: 'exp enforced with 5 s skew' },
    timeoutMs: 30_000,
  },
  reason: 'token_expired',
  attack: async (ctx, legit, send) => {
    // The token service is redeployed with one-second access tokens, so a real one expires during the scenario.
    await ctx.redeploy('sts', { accessTokenTtlSeconds: 1 });
    const shortLived = await legit.gateway.accessToken('payments');
    await new Promise((r) => setTimeout(r, 1000 + 5000 + 500)); // lifetime + verifier skew
    return send(legit.gateway, { authorization: bearer(shortLived), 'txn-token': legit.txnToken }, newReference('tok-expired'));
  },
  revert: (ctx) => ctx.redeploy('sts', {}),
});
