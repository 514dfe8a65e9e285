import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Workload } from '../workload/runtime.ts';
import { startPdpService, type PdpService } from '../../pdp/pdp-service.ts';
import { startTestCa, type TestCa } from '../../../harness/testbed/in-process-ca.ts';

let t: TestCa;
let pdp: PdpService;
let caller: PdpService;
let server: Workload;
let client: Workload;

beforeAll(async () => {
  t = await startTestCa();
  // Two PDPs (no token-protected routes, so no token service is needed for the rotation itself): one calls the other.
  pdp = await startPdpService(t.config('pdp'), t.joinToken('pdp'));
  server = pdp.workload;
  caller = await startPdpService(t.config('pdp', {}, { pdp: server.server.url }), t.joinToken('pdp'));
  client = caller.workload;
});

afterAll(async () => {
  await caller?.close();
  await pdp?.close();
  await t?.close();
});

test('SVID rotation under load: 500+ requests from 20 concurrent clients across 3 rotations, zero failures', async () => {
  const total = 600;
  const concurrency = 20;
  let sent = 0;
  const failures: string[] = [];
  const statuses: number[] = [];
  const worker = async (): Promise<void> => {
    while (sent < total) {
      sent += 1;
      try {
        const res = await client.call('pdp', { path: '/healthz', timeoutMs: 5000 });
        statuses.push(res.status);
        if (res.status !== 200) failures.push(`status ${res.status}`);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  };
  const serialsBefore = [server.identity.serial, client.identity.serial];
  const rotations = (async () => {
    for (let i = 0; i < 3; i++) {
      while (statuses.length < ((i + 1) * total) / 4) await new Promise((r) => setTimeout(r, 5));
      await Promise.all([server.identity.renew(), client.identity.renew()]);
    }
  })();
  await Promise.all([...Array.from({ length: concurrency }, worker), rotations]);
  expect(failures).toEqual([]);
  expect(statuses.length).toBeGreaterThanOrEqual(500);
  expect(server.identity.rotations).toBe(3);
  expect(client.identity.rotations).toBe(3);
  expect(server.identity.serial).not.toBe(serialsBefore[0]);
  expect(client.identity.serial).not.toBe(serialsBefore[1]);
  // New connections after the last rotation see the new server certificate.
  const fresh = await client.call('pdp', { path: '/healthz' });
  expect(fresh.json<{ svidNotAfter: string }>().svidNotAfter).toBe(new Date(server.identity.notAfter).toISOString());
}, 60_000);
