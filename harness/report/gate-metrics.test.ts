import { expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATE_METRICS_FILE, renderGateMetrics } from './gate-metrics.ts';
import { writeReports } from './write.ts';
import { sampleReport } from '../test-support/sample-report.ts';
import { requireTool } from '../test-support/require-tool.ts';
import { useTempDirs } from '../test-support/temp-dirs.ts';

const tempDir = useTempDirs();

test('the gate metrics pass promtool check metrics and carry the verdict and every scenario, hostile ids escaped', () => {
  const report = sampleReport({ hostile: true });
  const text = renderGateMetrics(report);
  const r = spawnSync(requireTool('promtool', 'prometheus'), ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  expect(`${r.stdout}${r.stderr}`).toBe('');
  expect(r.status).toBe(0);
  expect(text).toContain(`meshgate_gate_passed ${report.verdict === 'pass' ? 1 : 0}\n`);
  for (const s of report.scenarios) expect(text).toMatch(new RegExp(`meshgate_gate_scenario_outcome\\{scenario="${s.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}",[^}]*outcome="${s.outcome}"\\} 1\\n`));
  expect(text.endsWith('# EOF\n')).toBe(true);
});

test('writing the reports writes the textfile beside them', async () => {
  const dir = tempDir('meshgate-gate-metrics-');
  const report = sampleReport();
  await writeReports(report, dir, ['json']);
  expect(readFileSync(join(dir, GATE_METRICS_FILE), 'utf8')).toBe(renderGateMetrics(report));
});
