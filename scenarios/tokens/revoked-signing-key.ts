import { decodeToken } from '../../harness/attacks/token-forge.ts';
import { pollUntil } from '../../harness/evidence/poll.ts';
import { DEFAULT_SETTINGS } from '../../services/kit/workload/settings.ts';
import { bearer, newReference, tokenRejectionScenario } from '../../harness/gate/token-rejection.ts';

export const scenario = tokenRejectionScenario({
  meta: {
    id: 'tokens.revoked-signing-key',
    title: 'A token signed with a revoked key is refused once the JWKS refreshes',
    plane: 'tokens',
    severity: 'critical',
    threat: 'The token service’s signing key leaked; tokens it signed must stop working everywhere.',
    tags: ['tokens', 'revocation', 'jwks'],
    control: { kind: 'setting', location: 'services/kit/workload/settings.ts', description: 'jwksRefreshMs bounds how long a revoked key is trusted' },
    timeoutMs: 20_000,
  },
  reason: 'token_key_revoked',
  attack: async (ctx, legit, send) => {
    const kid = String(decodeToken(legit.accessToken).header.kid);
    const started = performance.now();
    await ctx.engine.operator.revokeSigningKey(kid);
    // Verifiers learn of the revocation at their next JWKS refresh: wait (bounded) until payments has, rather
    // than for a fixed time a loaded machine may overrun; the refusal below is the control either way.
    const bound = ctx.engine.baseline().settings.payments?.jwksRefreshMs ?? DEFAULT_SETTINGS.jwksRefreshMs;
    await pollUntil(async () => (await ctx.engine.operator.health('payments')).jwks?.kids.includes(kid) ?? true, (present) => !present, bound * 3, 50);
    ctx.latency('keyRevocationBoundUs', (performance.now() - started) * 1000);
    return send(legit.gateway, { authorization: bearer(legit.accessToken), 'txn-token': legit.txnToken }, newReference('tok-revoked'));
  },
});
