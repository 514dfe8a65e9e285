/** Report fixtures for renderer tests, with hostile text where text can be hostile. */
import type { ScenarioResult } from '../scenario/result.ts';
import type { MutationSummary } from '../scenario/mutation.ts';
import { buildRunReport, type RunReport } from '../report/run-report.ts';

export const HOSTILE = `<script>alert("x")</script> & 'q' | *b* ]]> \u0001`;

export function scenarioFixture(overrides: Partial<ScenarioResult> & Pick<ScenarioResult, 'id'>): ScenarioResult {
  const plane = overrides.plane ?? (overrides.id.split('.')[0] as ScenarioResult['plane']);
  return {
    title: `title of ${overrides.id}`,
    plane,
    severity: 'high',
    threat: 'An attacker does something.',
    tags: [],
    outcome: 'passed',
    correlationId: `run-1:${overrides.id}`,
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 120,
    phases: [
      { phase: 'steady-state-before', status: 'ok', durationMs: 1 },
      { phase: 'inject', status: 'ok', durationMs: 50 },
      { phase: 'expect', status: 'ok', durationMs: 60 },
      { phase: 'revert', status: 'ok', durationMs: 5 },
      { phase: 'steady-state-after', status: 'ok', durationMs: 4 },
    ],
    checks: {
      steadyStateBefore: [],
      control: [{ name: 'rejected', ok: true, expected: 'cert_expired', observed: 'cert_expired' }],
      detection: [{ name: 'audit line', ok: true, expected: { reason: 'cert_expired' }, observed: { reason: 'cert_expired' } }],
      steadyStateAfter: [],
    },
    errors: [],
    latency: { handshakeP50Us: 2100 },
    ...overrides,
  };
}

/** Two mtls scenarios (one passed, one failed), one tokens error, one policy skipped; two mutants, one survived. */
export function sampleReport(options: { hostile?: boolean; mutation?: boolean } = {}): RunReport {
  const hostile = options.hostile ?? true;
  const scenarios: ScenarioResult[] = [
    scenarioFixture({ id: 'mtls.expired-client-cert', severity: 'critical', control: { kind: 'code', location: 'services/kit/mtls/verify.ts', region: { startLine: 42 }, description: 'expiry check' } }),
    scenarioFixture({
      id: 'mtls.hostile',
      title: hostile ? HOSTILE : 'plain title',
      threat: hostile ? HOSTILE : 'plain threat',
      tags: ['handshake'],
      outcome: 'failed',
      message: '1 of 2 checks failed: control/status',
      file: 'scenarios/mtls/hostile.ts',
      checks: {
        steadyStateBefore: [],
        control: [{ name: hostile ? `status ${HOSTILE}` : 'status', ok: false, expected: { status: 403, reason: 'spiffe_id_not_allowed' }, observed: { status: 200, body: hostile ? HOSTILE : 'ok' }, evidence: hostile ? { line: HOSTILE } : { line: 'ok' } }],
        detection: [{ name: 'metric', ok: true, expected: '>= 1', observed: 1 }],
        steadyStateAfter: [],
      },
    }),
    scenarioFixture({
      id: 'tokens.replay-other-workload',
      severity: 'medium',
      outcome: 'error',
      message: 'inject threw: boom',
      errors: [{ phase: 'inject', message: 'inject threw: boom' }],
      checks: { steadyStateBefore: [], control: [], detection: [], steadyStateAfter: [] },
      control: { kind: 'policy', location: 'services/pdp/policies/ledger.cedar', description: 'only payments may write entries' },
    }),
    scenarioFixture({ id: 'policy.unlisted-edge', severity: 'low', outcome: 'skipped', message: 'run aborted before this scenario started', checks: { steadyStateBefore: [], control: [], detection: [], steadyStateAfter: [] } }),
  ];
  const mutation: MutationSummary | undefined = options.mutation === false
    ? undefined
    : {
        mutants: [
          { mutant: { id: 'mtls.client-auth-optional', title: 'Client cert optional', description: 'd', fault: 'rejectUnauthorized false', location: { uri: 'services/kit/mtls/server.ts', region: { startLine: 10 } } }, killedBy: ['mtls.hostile'], survived: false, durationMs: 41_250 },
          { mutant: { id: 'tokens.no-replay-cache', title: hostile ? HOSTILE : 'No replay cache', description: 'd', fault: 'replay cache off', location: { uri: 'services/kit/workload/settings.ts', setting: 'replayCache' } }, killedBy: [], survived: true, durationMs: 38_500 },
        ],
        killRate: 0.5,
        survived: ['tokens.no-replay-cache'],
      };
  return buildRunReport({
    runId: '20250101T000000Z-abc123',
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:00:03.000Z',
    engine: 'local',
    baseline: { handshakeP50Us: 1900 },
    scenarios,
    ...(mutation ? { mutation } : {}),
    tool: { name: 'meshgate', version: '0.1.0' },
  });
}
