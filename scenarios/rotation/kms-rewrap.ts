import { auditLogged } from '../../harness/gate/detections.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { bookStoredCard, openStored, type BookedCard } from '../../harness/gate/stored-card.ts';
import { check, checkAtLeast, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';

/** Cards booked under the version that is rotated out, and after the rotation. */
const BOOKED_EACH_SIDE = 10;

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'rotation.kms-rewrap',
    title: 'Rotating kms’ wrapping key, rewrapping the book and revoking the old version leaves every stored card readable',
    plane: 'rotation',
    severity: 'high',
    threat: 'Wrapping keys never rotate because revoking an old version would strand the cards stored under it.',
    tags: ['rotation', 'kms', 'data-at-rest', 'availability'],
    control: { kind: 'code', location: 'services/ledger/card-key-rewrap.ts', description: 'the ledger rewraps every stored data key under the current version; the ciphertext never changes' },
    timeoutMs: 45_000,
  },
  inject,
  async expect(_ctx, { booked, rotated, rewrap, versions, opened, tokensUnchanged, cursor }) {
    const failures = opened.filter((o) => o.status !== 200);
    // Entries kms cannot rewrap must be exactly those whose version was revoked before (never one of this drill's).
    const revokedBefore = versions.versions.filter((v) => v.state === 'revoked' && v.version !== rotated.previous).map((v) => v.version);
    const unexplained = rewrap.failed.filter((f) => f.reason !== 'kms_key_revoked' || f.keyVersion === null || !revokedBefore.includes(f.keyVersion));
    return expectation(
      [
        check('every stored card of the drill opens after rewrap and revocation (0 failures)', [], failures.slice(0, 5), { opened: opened.length }),
        check('every drill card now opens under the current version', [rotated.current], [...new Set(opened.map((o) => o.keyVersion))]),
        check('the rewrap failed only for entries under versions revoked before it', [], unexplained.slice(0, 5), { failed: rewrap.failed.length, revokedBefore }),
        check('the card ciphertexts did not change (only the wrapped keys did)', true, tokensUnchanged),
      ],
      [await auditLogged(cursor.ledger, { event: 'card_keys_rewrapped', key_version: rotated.current }), await auditLogged(cursor.kms, { event: 'key_revoked', kind: 'kms', key_version: rotated.previous })],
      [
        check('every drill payment was booked', booked.length, booked.filter((b) => b.status === 201 && b.stored).length, booked.map((b) => b.status)),
        checkAtLeast('stored keys the rewrap moved to the new version', BOOKED_EACH_SIDE, rewrap.rewrapped),
      ],
    );
  },
});

async function inject(ctx: MeshContext) {
  const booked: BookedCard[] = [];
  for (let i = 0; i < BOOKED_EACH_SIDE; i++) booked.push(await bookStoredCard(ctx, 'kms-rewrap-old'));
  const rotated = await ctx.engine.operator.rotateKmsKey();
  for (let i = 0; i < BOOKED_EACH_SIDE; i++) booked.push(await bookStoredCard(ctx, 'kms-rewrap-new'));
  const cursor = { ledger: ctx.mark('ledger'), kms: ctx.mark('kms') };
  const rewrap = await ctx.engine.operator.rewrapCardKeys();
  await ctx.engine.operator.revokeKmsKey(rotated.previous);
  const versions = await ctx.engine.operator.kmsKeyVersions();
  const after = await Promise.all(booked.map(async (b) => ({ ...b, stored: (await ctx.engine.operator.storedCards(b.reference))[0] })));
  const opened = [];
  for (const b of after) opened.push({ reference: b.reference, ...(await openStored(ctx, b)) });
  const tokensUnchanged = after.every((b, i) => b.stored?.cardToken === booked[i]!.stored?.cardToken);
  return { booked, rotated, rewrap, versions, opened, tokensUnchanged, cursor };
}
