/** The clock given at the composition root decides expiry: a test moves it instead of sleeping. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ManualClock } from '../clock.ts';
import { startTestCa, type TestCa } from '../../../harness/testbed/in-process-ca.ts';
import { startPdpService, type PdpService } from '../../pdp/pdp-service.ts';

const clock = new ManualClock();
let t: TestCa;
const started: PdpService[] = [];

beforeAll(async () => {
  t = await startTestCa({ clock });
});

afterAll(async () => {
  for (const s of started) await s.close();
  await t?.close();
});

function svidExpirySeconds(text: string): number {
  const line = text.split('\n').find((l) => l.startsWith('meshgate_svid_expiry_seconds'));
  if (!line) throw new Error('meshgate_svid_expiry_seconds is not exported');
  return Number(line.split(' ')[1]);
}

test('a join token expires when the CA clock passes its lifetime, and a workload reports SVID expiry on its clock', async () => {
  const stale = t.joinToken('pdp', 60);
  clock.advance(61_000);
  await expect(startPdpService(t.config('pdp'), stale, undefined, clock)).rejects.toThrow(/join_token_expired/);

  const pdp = await startPdpService(t.config('pdp'), t.joinToken('pdp', 60), undefined, clock);
  started.push(pdp);
  const before = svidExpirySeconds(await pdp.workload.metrics.metrics());
  clock.advance(600_000);
  const after = svidExpirySeconds(await pdp.workload.metrics.metrics());
  expect(before - after).toBeCloseTo(600, 3);
});
