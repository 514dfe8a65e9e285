import { auditLogged, metricEventually, spanRecorded } from '../../harness/gate/detections.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { bookStoredCard, openStored } from '../../harness/gate/stored-card.ts';
import { check, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'e2ee.kms-revoked-key-version',
    title: 'A card whose data key is wrapped under a revoked key version can no longer be read',
    plane: 'e2ee',
    severity: 'high',
    threat: 'A wrapping key leaks (or a backup of the book is stolen with it); revoking its version at kms does nothing, so every card wrapped under it stays readable.',
    tags: ['e2ee', 'kms', 'revocation', 'data-at-rest'],
    control: { kind: 'code', location: 'services/kms/wrapping-keys.ts', description: 'a revoked wrapping-key version never unwraps again' },
  },
  inject,
  async expect(ctx, { old, fresh, rotated, revoked, openedBefore, openedAfter, freshOpened, cursor, before }) {
    return expectation(
      [
        check('the card opened before the revocation', { status: 200, keyVersion: rotated.previous }, { status: openedBefore.status, keyVersion: openedBefore.keyVersion }, openedBefore),
        check('the card under the revoked version is refused by name', { status: 403, error: 'kms_key_revoked' }, { status: openedAfter.status, error: openedAfter.error }, { ...openedAfter, revoked }),
        check('a payment after the revocation is booked under the new version and opens', { booked: 201, keyVersion: rotated.current, opened: 200 }, { booked: fresh.status, keyVersion: fresh.stored?.keyVersion, opened: freshOpened.status }, { old: old.reference, fresh: fresh.reference }),
      ],
      [
        await auditLogged(cursor, { event: 'request_refused', reason: 'kms_key_revoked', route: 'POST /v1/unwrap', key_version: rotated.previous, peer_spiffe_id: 'spiffe://meshgate.test/payments' }),
        await metricEventually(ctx, 'kms', before, 'meshgate_kms_operations_total', { operation: 'unwrap', version: String(rotated.previous), result: 'refused', reason: 'kms_key_revoked' }),
        await spanRecorded(ctx, 'kms', 'meshgate.kms', { 'meshgate.kms.operation': 'unwrap', 'error.type': 'kms_key_revoked' }),
      ],
      [check('the payment was booked and its card stored', { status: 201, stored: true }, { status: old.status, stored: old.stored !== undefined })],
    );
  },
});

async function inject(ctx: MeshContext) {
  const old = await bookStoredCard(ctx, 'kms-revoked');
  const openedBefore = await openStored(ctx, old);
  const rotated = await ctx.engine.operator.rotateKmsKey();
  const cursor = ctx.mark('kms');
  const before = await ctx.scrape('kms');
  // No rewrap first: the entry stays under the version that is revoked.
  const revoked = await ctx.engine.operator.revokeKmsKey(rotated.previous);
  const openedAfter = await openStored(ctx, old);
  const fresh = await bookStoredCard(ctx, 'kms-after-revoke');
  const freshOpened = await openStored(ctx, fresh);
  return { old, fresh, rotated, revoked, openedBefore, openedAfter, freshOpened, cursor, before };
}
