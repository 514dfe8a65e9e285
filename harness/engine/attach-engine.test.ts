import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRunning } from '../mesh/process-state.ts';
import { pollUntil } from '../evidence/poll.ts';
import type { JournalRecord } from './lifecycle-journal.ts';
import { meshgate, MESHGATE_BIN } from '../test-support/meshgate-cli.ts';
import { useTempDirs } from '../test-support/temp-dirs.ts';

interface Status {
  ok: boolean;
  services: Array<{ name: string; healthy: boolean; baselineSettings: boolean; pid: number }>;
  policy: { version: string; baseline: string; same: boolean };
}

const status = async (state: string): Promise<{ code: number; status: Status }> => {
  const r = await meshgate(['status', '--state', state, '--json']);
  return { code: r.code, status: JSON.parse(r.stdout) as Status };
};

const journalOf = (state: string): JournalRecord | undefined => {
  const path = join(state, 'lifecycle.json');
  try {
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as JournalRecord) : undefined;
  } catch {
    return undefined; // being rewritten
  }
};

/** Starts an attached mutation run and SIGKILLs it once `mutant` is applied (`applied` says when). */
async function killDuringMutant(state: string, reports: string, mutant: string, applied: () => Promise<boolean>): Promise<void> {
  const out = openSync(join(reports, 'run.log'), 'w');
  const child = spawn(process.execPath, [MESHGATE_BIN, 'run', '--attach', '--state', state, '--mutate', '--report-dir', reports, 'mtls.no-client-cert'], { stdio: ['ignore', out, out] });
  closeSync(out);
  try {
    const entered = await pollUntil(() => journalOf(state)?.subjects.some((s) => s.kind === 'mutant' && s.id === mutant) ?? false, (v) => v, 240_000, 100);
    expect(entered, `the run entered mutant ${mutant}:\n${readFileSync(join(reports, 'run.log'), 'utf8')}`).toBe(true);
    expect(await pollUntil(applied, (v) => v, 30_000, 100), `mutant ${mutant} took effect`).toBe(true);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r)));
  }
}

let state: string;
let up: { services: Array<{ pid: number }>; collector: { pid: number } };
const tempDir = useTempDirs();

beforeAll(async () => {
  state = tempDir('meshgate-attach-');
  const started = await meshgate(['up', '--state', state, '--json']);
  expect(started.code, started.stderr).toBe(0);
  up = JSON.parse(started.stdout) as typeof up;
}, 60_000);

afterAll(async () => {
  const down = await meshgate(['down', '--state', state]);
  expect(down.code, down.stderr).toBe(0);
  for (const s of up.services) expect(isRunning(s.pid)).toBe(false);
  expect(isRunning(up.collector.pid)).toBe(false);
}, 60_000);

describe('the gate attached to a mesh that meshgate up started', () => {
  test('runs the catalog and mutation mode against it and leaves it as it found it', async () => {
    const before = await status(state);
    expect(before.code).toBe(0);
    const reports = tempDir('meshgate-attach-reports-');
    const run = await meshgate(['run', '--attach', '--state', state, '--mutate', '--report-dir', reports], 600_000);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const report = JSON.parse(readFileSync(join(reports, 'report.json'), 'utf8')) as { environment: { engine: string }; summary: { passed: number; total: number }; mutation: { killRate: number } };
    expect(report.environment.engine).toBe('attach');
    expect(report.summary.passed).toBe(report.summary.total);
    expect(report.mutation.killRate).toBe(1);
    // Nothing of the run is kept in the mesh's state folder but evidence.
    expect(existsSync(join(state, 'lifecycle.json'))).toBe(false);
    const after = await status(state);
    expect(after.code, JSON.stringify(after.status)).toBe(0);
    expect(after.status.policy.version).toBe(before.status.policy.version);
    expect(after.status.services.every((s) => s.healthy && s.baselineSettings)).toBe(true);
  }, 600_000);

  test('a run killed after a policy mutant is reverted by the next run', async () => {
    const baseline = (await status(state)).status.policy.version;
    await killDuringMutant(state, tempDir('meshgate-killed-'), 'policy.allow-all', async () => (await status(state)).status.policy.version !== baseline);
    const broken = await status(state);
    expect(broken.code).toBe(1);
    expect(broken.status.policy.same).toBe(false);

    const next = await meshgate(['run', '--attach', '--state', state, '--report-dir', tempDir('meshgate-next-'), 'mtls.no-client-cert'], 120_000);
    expect(next.code, `${next.stdout}\n${next.stderr}`).toBe(0);
    expect(next.stdout).toMatch(/ended while .*mutant policy\.allow-all.*reverting/);
    expect(next.stdout).toMatch(/reverted: pdp: policy version .* rolled back/);
    const healed = await status(state);
    expect(healed.code, JSON.stringify(healed.status)).toBe(0);
    expect(healed.status.policy.version).toBe(baseline);
  }, 400_000);

  test('a run killed after a setting mutant is reverted by meshgate down before it stops the mesh', async () => {
    const paymentsConfig = join(state, 'configs', 'payments.json');
    const crlCheck = () => (JSON.parse(readFileSync(paymentsConfig, 'utf8')) as { settings: { checkRevocation: boolean } }).settings.checkRevocation;
    await killDuringMutant(state, tempDir('meshgate-killed-'), 'mtls.crl-check-off', async () => !crlCheck() && (await status(state)).status.services.find((s) => s.name === 'payments')!.healthy);
    const broken = await status(state);
    expect(broken.code).toBe(1);
    expect(broken.status.services.find((s) => s.name === 'payments')!.baselineSettings).toBe(false);

    const down = await meshgate(['down', '--state', state]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/ended while .*mutant mtls\.crl-check-off.*reverting/);
    expect(down.stdout).toContain('reverted: payments: redeployed with its baseline settings');
    expect(crlCheck()).toBe(true);
    // Up again for afterAll's down, which checks the first mesh's processes are gone.
    const again = await meshgate(['up', '--state', state, '--json']);
    expect(again.code, again.stderr).toBe(0);
    for (const s of up.services) expect(isRunning(s.pid)).toBe(false);
    up = JSON.parse(again.stdout) as typeof up;
  }, 400_000);
});
