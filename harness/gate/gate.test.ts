import { describe, expect, test } from 'vitest';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../cli/main.ts';
import { runGate, scanReportFolder, selectGate } from './run-gate.ts';
import { stateSecrets } from '../mesh/state-secrets.ts';
import { REPORT_FORMATS } from '../report/write.ts';
import { useTempDirs } from '../test-support/temp-dirs.ts';

const tempDir = useTempDirs();

describe('the gate', () => {
  test('the whole catalog passes on the healthy mesh, writes every format, and mutation mode kills every mutant', async () => {
    const reportDir = tempDir('meshgate-gate-');
    const scenarios = await selectGate({});
    expect(scenarios.length).toBeGreaterThanOrEqual(29);
    const outcome = await runGate(scenarios, { reportDir, formats: REPORT_FORMATS, mutate: true });
    const failed = outcome.report.scenarios.filter((s) => s.outcome !== 'passed').map((s) => `${s.id}: ${s.message}`);
    expect(failed).toEqual([]);
    expect(outcome.report.mutation?.survived).toEqual([]);
    expect(outcome.report.mutation?.killRate).toBe(1);
    expect(outcome.reportLeaks).toEqual([]);
    // A report folder is uploaded as a CI artifact: no key, join token or password file is left in it.
    expect(stateSecrets(join(reportDir, 'state'))).toEqual([]);
    expect(outcome.exitCode).toBe(0);
    expect(outcome.written.map((p) => p.split('/').at(-1))).toEqual(['report.json', 'junit.xml', 'results.sarif', 'summary.md', 'report.html']);
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as { scenarios: Array<{ latency: Record<string, number> }> };
    // Every scenario carries its latency figures next to the healthy baseline.
    for (const s of report.scenarios) {
      expect(s.latency.handshakeP50Us).toBeGreaterThan(0);
      expect(s.latency.baselineHandshakeP50Us).toBeGreaterThan(0);
    }
  }, 600_000);

  test('with replay protection broken the gate is red (exit 1) and JUnit and SARIF name the scenario', async () => {
    const reportDir = tempDir('meshgate-red-');
    const scenarios = await selectGate({ patterns: ['tokens.replayed', 'mtls.no-client-cert'] });
    const outcome = await runGate(scenarios, { reportDir, formats: ['json', 'junit', 'sarif'], mutate: false, settings: { payments: { replayCache: false } } });
    expect(outcome.exitCode).toBe(1);
    expect(outcome.report.verdict).toBe('fail');
    expect(outcome.report.scenarios.find((s) => s.id === 'tokens.replayed')?.outcome).toBe('failed');
    expect(outcome.report.scenarios.find((s) => s.id === 'mtls.no-client-cert')?.outcome).toBe('passed');
    const junit = readFileSync(join(reportDir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testcase name="replayed" classname="tokens"[^>]*>\s*<failure/);
    const sarif = JSON.parse(readFileSync(join(reportDir, 'results.sarif'), 'utf8')) as { runs: Array<{ results: Array<{ ruleId: string; level: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }> }> };
    const results = sarif.runs[0]!.results;
    expect(results.map((r) => r.ruleId)).toEqual(['tokens.replayed']);
    expect(results[0]!.locations[0]!.physicalLocation.artifactLocation.uri).toBe('services/kit/workload/settings.ts');
  }, 180_000);
});

describe('the report folder', () => {
  test('a private key anywhere in it is found (by location, never by value)', async () => {
    const dir = tempDir('meshgate-folder-');
    mkdirSync(join(dir, 'state', 'ca'), { recursive: true });
    const { generateKeyPairSync } = await import('node:crypto');
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    writeFileSync(join(dir, 'state', 'ca', 'root-key.pem'), pem);
    writeFileSync(join(dir, 'summary.md'), '# all good\n');
    const leaks = await scanReportFolder(dir);
    expect(leaks).toHaveLength(1);
    expect(leaks[0]).toContain('state/ca/root-key.pem');
    expect(leaks[0]).not.toContain(pem.split('\n')[1]!);
  });

  test('a canary the run planted is excused in the evidence a mutant made leak, never in the reports', async () => {
    const dir = tempDir('meshgate-folder-');
    const { createCanaries } = await import('../collectors/canaries.ts');
    const canaries = createCanaries('folder-test');
    mkdirSync(join(dir, 'state', 'logs'), { recursive: true });
    const line = JSON.stringify({ msg: 'request body', body: JSON.stringify({ card: { number: canaries.card.value }, note: canaries.privateKey.value }) });
    writeFileSync(join(dir, 'state', 'logs', 'payments.log'), `${line}\n`);
    expect(await scanReportFolder(dir, canaries.all)).toEqual([]);
    // Unknown to the run, the same text is a finding.
    expect((await scanReportFolder(dir, [])).length).toBeGreaterThan(0);
    writeFileSync(join(dir, 'summary.md'), `card ${canaries.card.value}\n`);
    expect(await scanReportFolder(dir, canaries.all)).toEqual([expect.stringContaining('summary.md')]);
  });
});

describe('meshgate run and list on the command line', () => {
  test('a pattern that matches nothing is a usage error (exit 2) naming it', async () => {
    let err = '';
    const code = await main(['run', 'nosuch.*'], { stdout: () => undefined, stderr: (t) => (err += t) });
    expect(code).toBe(2);
    expect(err).toContain('nosuch.*');
  });

  test('--format with an unknown format is a usage error', async () => {
    let err = '';
    const code = await main(['run', '--format', 'json,pdf'], { stdout: () => undefined, stderr: (t) => (err += t) });
    expect(code).toBe(2);
    expect(err).toMatch(/--format.*"pdf"/);
  });

  test('list prints every scenario from metadata alone', async () => {
    let out = '';
    expect(await main(['list', '--json'], { stdout: (t) => (out += t), stderr: () => undefined })).toBe(0);
    const listed = JSON.parse(out) as Array<{ id: string; plane: string; severity: string; threat: string }>;
    expect(listed.map((s) => s.id)).toEqual(expect.arrayContaining(['mtls.no-client-cert', 'tokens.replayed', 'policy.pdp-outage', 'leaks.canaries', 'rotation.jwks-under-load']));
    for (const s of listed) expect(s.threat.length).toBeGreaterThan(10);
  });

  test('a broken scenario file is reported with its file and field, not a crash', async () => {
    const dir = tempDir('meshgate-badcat-');
    mkdirSync(join(dir, 'tokens'));
    writeFileSync(join(dir, 'tokens', 'broken.ts'), "export const scenario = { meta: { id: 'tokens.broken', title: 'x', plane: 'tokens', severity: 'urgent', threat: 'x', tags: [] }, inject() {}, expect() {} };\n");
    await expect(selectGate({}, dir)).rejects.toMatchObject({ code: 'MESHGATE_ERR_SCENARIO_INVALID', message: expect.stringMatching(/broken\.ts.*meta\.severity/s) });
  });
});

describe('embedded policy decisions', () => {
  test('with pdpEmbedded the same policies decide in process, also while the PDP service is down', async () => {
    const stateDir = tempDir('meshgate-embedded-');
    const { GateSession } = await import('./gate-session.ts');
    const { legitTokens, bearer } = await import('./token-rejection.ts');
    const { samplePayment } = await import('../actors/payment.ts');
    const { newReference } = await import('./reference.ts');
    const session = await GateSession.start({ stateDir, settings: { payments: { pdpEmbedded: true }, kms: { pdpEmbedded: true }, ledger: { pdpEmbedded: true } } });
    try {
      await session.engine.kill('pdp');
      const ctx = session.context({ runId: 'embedded', scenarioId: 'policy.embedded', correlationId: 'embedded:policy.embedded', latency: {} });
      try {
        expect((await session.steadyState(ctx))[0]).toMatchObject({ ok: true });
        const legit = await legitTokens(ctx, 12);
        const res = await legit.gateway.call('payments', 'POST', '/payments', { body: samplePayment(newReference('embedded'), { amount: 900 }), headers: { authorization: bearer(legit.accessToken), 'txn-token': legit.txnToken } });
        expect(res.status).toBe(403);
        expect(res.json()).toMatchObject({ error: 'pdp_denied' });
      } finally {
        ctx.close();
      }
    } finally {
      await session.stop();
    }
  }, 120_000);
});
