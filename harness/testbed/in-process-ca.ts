/**
 * Starts real mesh parts inside the test process: the CA service on loopback
 * ports and workloads enrolled with real join tokens. Each call gets its own
 * temporary state folder. Shared by tests and benchmarks (a testbed, not production code).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCaService, type CaService } from '../../services/ca/ca-service.ts';
import { resolveSettings, type SecuritySettings } from '../../services/kit/workload/settings.ts';
import type { WorkloadConfig } from '../../services/kit/workload/config.ts';
import { spiffeIdFor } from '../../services/kit/spiffe.ts';
import type { Clock } from '../../services/kit/clock.ts';
import { freePorts } from '../mesh/free-port.ts';

export interface TestCa {
  ca: CaService;
  stateDir: string;
  config(name: string, settings?: Partial<SecuritySettings>, peers?: Record<string, string>): WorkloadConfig;
  joinToken(name: string, ttlSeconds?: number): string;
  close(): Promise<void>;
}

/** A clock given here decides the CA's expiries (join tokens, certificates); tests move it instead of sleeping. */
export async function startTestCa(options: { clock?: Clock } = {}): Promise<TestCa> {
  const stateDir = mkdtempSync(join(tmpdir(), 'meshgate-test-'));
  const [port, enrolPort] = await freePorts(2);
  const base: WorkloadConfig = {
    name: 'ca',
    stateDir,
    port: port!,
    publicPort: enrolPort!,
    caEnrolUrl: `https://localhost:${enrolPort}`,
    caUrl: `https://localhost:${port}`,
    bundlePath: join(stateDir, 'bundle.pem'),
    peers: { ca: `https://localhost:${port}` },
    settings: resolveSettings({}),
  };
  const ca = await startCaService(base, options.clock);
  return {
    ca,
    stateDir,
    config: (name, settings = {}, peers = {}) => ({ ...base, name, port: 0, publicPort: 0, peers: { ...base.peers, ...peers }, settings: resolveSettings(settings) }),
    joinToken: (name, ttlSeconds = 60) => ca.joinTokens.add(spiffeIdFor(name), ttlSeconds),
    close: async () => {
      await ca.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
