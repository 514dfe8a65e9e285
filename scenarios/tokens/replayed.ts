import { bearer, newReference, tokenRejectionScenario } from '../../harness/gate/token-rejection.ts';

export const scenario = tokenRejectionScenario({
  meta: {
    id: 'tokens.replayed',
    title: 'A captured transaction token replayed to the same service is refused',
    plane: 'tokens',
    severity: 'critical',
    threat: 'An attacker who captured one request replays it to book the payment again.',
    tags: ['tokens', 'replay'],
    control: { kind: 'setting', location: 'services/kit/workload/settings.ts', description: 'replayCache is true' },
  },
  reason: 'token_replayed',
  attack: async (_ctx, legit, send) => {
    const headers = { authorization: bearer(legit.accessToken), 'txn-token': legit.txnToken };
    const original = await send(legit.gateway, headers, newReference('tok-original'));
    if (original.status !== 201) throw new Error(`the original request was not booked (${original.status}): ${original.text()}`);
    return send(legit.gateway, headers, newReference('tok-replay'));
  },
});
