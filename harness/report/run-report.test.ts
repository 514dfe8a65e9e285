import { describe, expect, it } from 'vitest';
import { ScenarioSelectionError, ScenarioValidationError } from '../scenario/errors.ts';
import { exitCodeFor, exitCodeForError } from './exit-code.ts';
import { buildRunReport } from './run-report.ts';
import { scenarioFixture } from '../test-support/sample-report.ts';

const base = { runId: 'r1', startedAt: '2025-01-01T00:00:00Z', finishedAt: '2025-01-01T00:00:02.5Z', engine: 'local' };

describe('buildRunReport and exit codes', () => {
  it('passes with exit code 0 when every scenario passed', () => {
    const report = buildRunReport({ ...base, scenarios: [scenarioFixture({ id: 'mtls.a' })] });
    expect(report).toMatchObject({ schemaVersion: 1, verdict: 'pass', exitCode: 0, durationMs: 2500, summary: { total: 1, passed: 1 } });
    expect(report.environment.node).toBe(process.version);
    expect(report.tool.name).toBe('meshgate');
  });

  it.each([
    ['a failed scenario', { scenarios: [scenarioFixture({ id: 'mtls.a' }), scenarioFixture({ id: 'mtls.b', outcome: 'failed' })] }],
    ['an errored scenario', { scenarios: [scenarioFixture({ id: 'mtls.a' }), scenarioFixture({ id: 'mtls.b', outcome: 'error' })] }],
    ['an interrupted run', { scenarios: [scenarioFixture({ id: 'mtls.a', aborted: true })] }],
    ['an empty run', { scenarios: [] }],
  ])('fails with exit code 1 for %s', (_name, input) => {
    const report = buildRunReport({ ...base, ...input });
    expect(report.verdict).toBe('fail');
    expect(report.exitCode).toBe(1);
  });

  it('fails when a mutant survived or could not run', () => {
    const scenarios = [scenarioFixture({ id: 'mtls.a' })];
    const mutant = { id: 'm', title: 't', description: 'd', fault: 'f', location: { uri: 'x.ts' } };
    expect(exitCodeFor({ scenarios, mutation: { mutants: [{ mutant, killedBy: ['mtls.a'], survived: false }] } })).toBe(0);
    expect(exitCodeFor({ scenarios, mutation: { mutants: [{ mutant, killedBy: [], survived: true }] } })).toBe(1);
    expect(exitCodeFor({ scenarios, mutation: { mutants: [{ mutant, killedBy: [], survived: false, error: 'x' }] } })).toBe(1);
  });

  it('maps usage and config errors to 2, anything else to 1', () => {
    expect(exitCodeForError(new ScenarioValidationError([{ field: 'meta', message: 'x' }]))).toBe(2);
    expect(exitCodeForError(new ScenarioSelectionError(['pattern "x" matches no scenario']))).toBe(2);
    expect(exitCodeForError(Object.assign(new Error('bad flag'), { exitCode: 2 }))).toBe(2);
    expect(exitCodeForError(Object.assign(new Error('cfg'), { code: 'MESHGATE_ERR_CONFIG' }), ['MESHGATE_ERR_CONFIG'])).toBe(2);
    expect(exitCodeForError(new Error('crash'))).toBe(1);
  });

  it('rejects bad input listing every problem', () => {
    expect(() => buildRunReport({ runId: '', startedAt: 'nope', finishedAt: 0, engine: '', scenarios: [] })).toThrow(/runId.*engine.*startedAt/);
  });
});
