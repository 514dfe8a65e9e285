import { rmSync, statSync } from 'node:fs';
import { createCanaries } from '../../harness/collectors/canaries.ts';
import { describeHit, LeakScanner } from '../../harness/collectors/leak-scanner.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { newReference } from '../../harness/gate/reference.ts';
import { samplePayment } from '../../harness/actors/payment.ts';
import { check, checkThat, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';
import { statePaths } from '../../services/kit/state-layout.ts';

/** A heap snapshot of the gateway under 1 MB would not be one of a running workload. */
const MIN_SNAPSHOT_BYTES = 1_000_000;

/**
 * The gateway is the hop end-to-end encryption distrusts. Redeployed to log
 * every request body, with its memory dumped while a customer pays, it still
 * holds no card number in any encoding: it only ever saw the sealed card.
 */
export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'e2ee.evil-gateway-reads',
    title: 'A gateway that logs every body and dumps its memory never holds the card number',
    plane: 'e2ee',
    severity: 'critical',
    threat: 'A compromised or debug-logging gateway reads card numbers from the traffic it relays (its logs, its memory).',
    tags: ['e2ee', 'secrets', 'leaks'],
    control: { kind: 'code', location: 'services/kit/e2ee/seal-card.ts', description: 'the client seals the card for payments; the gateway forwards the JWE untouched' },
    timeoutMs: 60_000,
  },
  inject,
  async expect(_ctx, { paid, logged, snapshotBytes, hits }) {
    return expectation(
      [check('no card number in the gateway’s log or heap snapshot, in any encoding', [], hits.slice(0, 10))],
      [],
      [
        check('the canary payment was booked (the card really travelled through the gateway)', 201, paid),
        checkThat('the gateway logged the payment body verbatim', { ok: logged, expected: 'a request body line in the gateway log', observed: logged }),
        checkThat('the gateway wrote a heap snapshot while the card was in flight', { ok: snapshotBytes >= MIN_SNAPSHOT_BYTES, expected: `>= ${MIN_SNAPSHOT_BYTES} bytes`, observed: snapshotBytes }),
      ],
    );
  },
  async revert(ctx) {
    rmSync(statePaths(ctx.engine.stateDir).heapSnapshot('gateway'), { force: true });
    await ctx.engine.restart('gateway', {});
  },
});

async function inject(ctx: MeshContext) {
  await ctx.engine.restart('gateway', { logBodies: true });
  const canaries = createCanaries(ctx.scope.runId);
  const gatewayLog = ctx.mark('gateway');
  const token = await ctx.user.login('alice');
  const reference = newReference('e2ee-evil-gw');
  const paid = (await ctx.user.pay(token, samplePayment(reference, { card: { number: canaries.card.value, expiry: '10/37' } }))).status;
  await ctx.engine.operator.gatewayHeapSnapshot();
  // The gateway names the file as it sees the state folder (in a container, /state); the harness reads it where the engine keeps that folder.
  const file = statePaths(ctx.engine.stateDir).heapSnapshot('gateway');
  try {
    // The card canary in every encoding the scanner knows; the generic detectors would also find the gateway's own key in its heap.
    const scanner = new LeakScanner({ canaries: [canaries.card], generic: false });
    const lines = gatewayLog.lines();
    const logged = lines.some((l) => l.entry['msg'] === 'request body' && String(l.entry['body_raw'] ?? '').includes(reference));
    const hits = [...lines.flatMap((l) => scanner.scanText(JSON.stringify(l.entry), { sink: 'log', file: l.file, line: l.line })), ...(await scanner.scanFile(file, 'heap_snapshot'))].map(describeHit);
    return { paid, logged, snapshotBytes: statSync(file).size, hits };
  } finally {
    rmSync(file, { force: true });
  }
}
