import { auditLogged, decisionLogged } from '../../harness/gate/detections.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { bookStoredCard } from '../../harness/gate/stored-card.ts';
import { check, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';
import { spiffeIdFor } from '../../services/kit/spiffe.ts';
import type { ServiceName } from '../../services/topology.ts';

type Attempt = { status: number; error: string | undefined };

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'e2ee.kms-unwrap-only-payments',
    title: 'Only payments unwraps a card’s data key, only for cards, only for the payment it was wrapped for',
    plane: 'e2ee',
    severity: 'critical',
    threat: 'A compromised ledger (it holds every wrapped key) or gateway asks kms for the data keys and decrypts the whole book; a compromised payments asks for keys of another purpose or moves a key to another payment.',
    tags: ['e2ee', 'kms', 'data-at-rest', 'lateral-movement'],
    control: { kind: 'policy', location: 'services/pdp/policies/kms-data-keys.cedar', description: 'kms unwraps for payments alone and for the purpose "card"; the wrap binds its payment' },
  },
  inject,
  async expect(_ctx, { attempts, cursor, decisions }) {
    const seen = (a: Attempt) => ({ status: a.status, error: a.error });
    return expectation(
      [
        check('the ledger is refused by identity', { status: 403, error: 'spiffe_id_not_allowed' }, seen(attempts.ledger)),
        check('the gateway is refused by identity', { status: 403, error: 'spiffe_id_not_allowed' }, seen(attempts.gateway)),
        check('payments asking for a key of another purpose is denied by the PDP', { status: 403, error: 'pdp_denied' }, seen(attempts.otherPurpose)),
        check('payments presenting the key for another payment cannot unwrap it', { status: 400, error: 'kms_unwrap_failed' }, seen(attempts.otherReference)),
        check('payments unwraps the card’s key for its own payment', { status: 200, error: undefined }, seen(attempts.own)),
      ],
      [
        await auditLogged(cursor, { event: 'request_refused', reason: 'spiffe_id_not_allowed', route: 'POST /v1/unwrap', peer_spiffe_id: spiffeIdFor('ledger') }),
        await decisionLogged(decisions, { decision: 'deny', principal: spiffeIdFor('payments'), action: 'POST /v1/unwrap' }),
        await auditLogged(cursor, { event: 'request_refused', reason: 'kms_unwrap_failed', route: 'POST /v1/unwrap', peer_spiffe_id: spiffeIdFor('payments') }),
      ],
      [check('two payments were booked and their cards stored', [201, 201], attempts.booked)],
    );
  },
});

async function inject(ctx: MeshContext) {
  const first = await bookStoredCard(ctx, 'kms-lateral');
  const second = await bookStoredCard(ctx, 'kms-lateral');
  const wrappedKey = first.stored?.cardKey ?? 'nothing stored';
  const cursor = ctx.mark('kms');
  const decisions = ctx.mark('pdp-decisions');
  const unwrapAs = async (service: ServiceName, context: { purpose: string; reference: string }): Promise<Attempt> => {
    const actor = await ctx.actor(service);
    // Each caller brings an access token for kms if the token service gives it one (the ledger gets one: it may rewrap).
    const token = await actor.accessToken('kms').catch(() => undefined);
    const res = await actor.call('kms', 'POST', '/v1/unwrap', { body: { wrappedKey, context }, headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, error: res.status === 200 ? undefined : res.json<{ error?: string }>().error };
  };
  const card = { purpose: 'card', reference: first.reference };
  const attempts = {
    booked: [first.status, second.status],
    ledger: await unwrapAs('ledger', card),
    gateway: await unwrapAs('gateway', card),
    otherPurpose: await unwrapAs('payments', { purpose: 'ledger-export', reference: first.reference }),
    otherReference: await unwrapAs('payments', { purpose: 'card', reference: second.reference }),
    own: await unwrapAs('payments', card),
  };
  return { attempts, cursor, decisions };
}
