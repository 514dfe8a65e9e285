import { sampleValue, type MetricsSnapshot } from '../../harness/collectors/metrics-scraper.ts';
import { auditLogged } from '../../harness/gate/detections.ts';
import { fetchEncryptionKeys } from '../../harness/actors/card-sealer.ts';
import { paymentsUnderLoad } from '../../harness/gate/load.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, checkAtLeast, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';

/** Legitimate payments that must be sent around each rotation. */
const LOAD_PER_ROTATION = 25;
const OPENED = 'meshgate_sealed_cards_opened_total';

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'rotation.encryption-key-under-load',
    title: 'Two rotations of payments’ encryption key under load open every sealed card',
    plane: 'rotation',
    severity: 'high',
    threat: 'Rotating the key cards are sealed for breaks payments in flight (clients still hold the old key set), so the key never gets rotated.',
    tags: ['rotation', 'availability', 'e2ee'],
    control: { kind: 'code', location: 'services/payments/encryption-keys.ts', description: 'publish next, seal for next, a retired key still opens for its window' },
    timeoutMs: 45_000,
  },
  inject,
  async expect(_ctx, { load, rotations, publishedNext, opened, unknownKey, oldKeyLastUsedMs, audit }) {
    return expectation(
      [
        check('no legitimate payment failed', [], load.failures.slice(0, 5), { sent: load.sent }),
        check('no card was refused for a key payments no longer held', 0, unknownKey),
        // When the retired key may go: once its count stops rising (clients refresh their key set on their own schedule).
        check('every booked payment’s card was opened', load.succeeded, opened.total, { byKey: opened.byKey, rotations, oldKeyLastUsedMsAfterRotation: oldKeyLastUsedMs }),
        check('each rotation made the key published as next current', [publishedNext, rotations[0]?.next], rotations.map((r) => r.current), rotations),
      ],
      [audit],
      [checkAtLeast('payments sent while the rotations were under way', LOAD_PER_ROTATION * 2, load.sentDuringChange)],
    );
  },
});

async function inject(ctx: MeshContext) {
  const publishedNext = (await fetchEncryptionKeys(ctx.engine)).keys.find((k) => k.status === 'next')?.kid;
  const cursor = ctx.mark('payments');
  const before = await ctx.scrape('payments');
  const rotations: Array<{ atMs: number; current: string; retired: string; next: string }> = [];
  // Payments' own count per key, sampled through the drill: when did the retired key open its last card?
  const samples: Array<{ atMs: number; snapshot: MetricsSnapshot }> = [];
  const started = performance.now();
  let sampling = true;
  const sampler = (async () => {
    while (sampling && performance.now() - started < 40_000) {
      samples.push({ atMs: performance.now() - started, snapshot: await ctx.scrape('payments') });
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  const load = await paymentsUnderLoad(
    ctx.user,
    async (progress) => {
      for (let i = 0; i < 2; i++) {
        await progress.sentAtLeast(progress.sent + LOAD_PER_ROTATION);
        rotations.push({ atMs: performance.now() - started, ...(await ctx.engine.operator.rotateEncryptionKey()) });
      }
      await progress.sentAtLeast(progress.sent + LOAD_PER_ROTATION);
    },
    { concurrency: 10, minimum: 150 },
  );
  sampling = false;
  await sampler;
  const after = await ctx.scrape('payments');
  const kids = [...new Set(after.samples.filter((s) => s.name === OPENED).map((s) => s.labels['kid']!))];
  const byKey: Record<string, number> = {};
  for (const kid of kids) {
    const n = sampleValue(after, OPENED, { kid }) - sampleValue(before, OPENED, { kid });
    if (n > 0) byKey[kid] = n;
  }
  const total = Object.values(byKey).reduce((a, b) => a + b, 0);
  const unknownKey = sampleValue(after, 'meshgate_sealed_cards_total', { result: 'refused', reason: 'card_key_unknown' }) - sampleValue(before, 'meshgate_sealed_cards_total', { result: 'refused', reason: 'card_key_unknown' });
  const first = rotations[0];
  let oldKeyLastUsedMs: number | null = null;
  if (first) {
    for (let i = 1; i < samples.length; i++) {
      const rose = sampleValue(samples[i]!.snapshot, OPENED, { kid: first.retired }) > sampleValue(samples[i - 1]!.snapshot, OPENED, { kid: first.retired });
      if (rose && samples[i]!.atMs > first.atMs) oldKeyLastUsedMs = Math.round(samples[i]!.atMs - first.atMs);
    }
  }
  return { load, rotations, publishedNext, opened: { total, byKey }, unknownKey, oldKeyLastUsedMs, audit: await auditLogged(cursor, { event: 'key_rotated', kind: 'encryption' }) };
}
