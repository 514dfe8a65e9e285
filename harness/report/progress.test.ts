import { describe, expect, it } from 'vitest';
import { createProgress, progressMode } from './progress.ts';
import { scenarioFixture } from '../test-support/sample-report.ts';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns: 80, write: (c: string) => chunks.push(c) } };
}

const meta = { id: 'mtls.expired-client-cert', title: 't', plane: 'mtls' as const, severity: 'high' as const, threat: 't', tags: [] };

describe('progress output', () => {
  it('chooses plain lines for CI, NO_COLOR or a non-terminal, live otherwise', () => {
    expect(progressMode({ CI: 'true' }, true)).toBe('plain');
    expect(progressMode({ NO_COLOR: '1' }, true)).toBe('plain');
    expect(progressMode({}, false)).toBe('plain');
    expect(progressMode({ CI: 'false' }, true)).toBe('live');
    expect(progressMode({}, true)).toBe('live');
  });

  it('plain mode prints one uncoloured line per scenario, failed checks indented, then the summary', () => {
    const { chunks, stream } = sink(true);
    const p = createProgress({ stream, env: { CI: 'true' } });
    p.onScenarioStart({ meta, correlationId: 'r/x', index: 0, total: 2 });
    p.onPhase({ scenarioId: meta.id, phase: 'inject', index: 0, total: 2 });
    p.onScenarioEnd(scenarioFixture({ id: 'mtls.expired-client-cert', durationMs: 123 }), { index: 0, total: 2 });
    const failed = scenarioFixture({ id: 'tokens.replay', outcome: 'failed', durationMs: 1500 });
    failed.checks.control = [{ name: 'status', ok: false, expected: 403, observed: 200 }];
    p.onScenarioEnd(failed, { index: 1, total: 2 });
    p.finish({ verdict: 'fail', durationMs: 1700, summary: { total: 2, passed: 1, failed: 1, error: 0, skipped: 0 } });
    const text = chunks.join('');
    expect(text).toBe(['✓ mtls.expired-client-cert  (123 ms)', '✗ tokens.replay  (1.5 s)', '    control/status: expected 403, observed 200', 'FAIL  2 scenarios: 1 passed, 1 failed, 0 errors, 0 skipped  (1.7 s)', ''].join('\n'));
    expect(text).not.toContain('\x1b');
  });

  it('live mode draws a coloured, rewritten line on a terminal', () => {
    const { chunks, stream } = sink(true);
    const p = createProgress({ stream, env: {} });
    expect(p.mode).toBe('live');
    p.onScenarioStart({ meta, correlationId: 'r/x', index: 0, total: 1 });
    p.onPhase({ scenarioId: meta.id, phase: 'inject', index: 0, total: 1 });
    expect(chunks.join('')).toContain('[1/1] mtls.expired-client-cert · inject');
    p.onScenarioEnd(scenarioFixture({ id: meta.id }), { index: 0, total: 1 });
    p.finish({ verdict: 'pass', durationMs: 10, summary: { total: 1, passed: 1, failed: 0, error: 0, skipped: 0 } });
    const text = chunks.join('');
    expect(text).toContain('\r\x1b[2K');
    expect(text).toContain('\x1b[32m✓\x1b[0m mtls.expired-client-cert');
  });
});
