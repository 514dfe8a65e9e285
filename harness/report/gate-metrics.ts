/**
 * The gate's verdict and per-scenario results as metrics, in the text a
 * node_exporter textfile collector reads (meshgate-gate.prom in the report
 * folder; copy or link it into the collector's directory). Rendered from the
 * run report like every other format. Scenario ids are a bounded set (the
 * catalog), so they are fine as a label.
 */
import { OUTCOMES } from '../scenario/result.ts';
import type { RunReport } from './run-report.ts';

export const GATE_METRICS_FILE = 'meshgate-gate.prom';

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(pairs: Record<string, string>): string {
  return `{${Object.entries(pairs).map(([k, v]) => `${k}="${label(v)}"`).join(',')}}`;
}

export function renderGateMetrics(report: RunReport): string {
  const lines: string[] = [];
  const family = (name: string, help: string, samples: Array<[Record<string, string>, number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [l, v] of samples) lines.push(`${name}${Object.keys(l).length ? labels(l) : ''} ${v}`);
  };
  const finished = Date.parse(report.finishedAt) / 1000;
  family('meshgate_gate_passed', 'Whether the last gate run passed (1) or failed (0).', [[{}, report.verdict === 'pass' ? 1 : 0]]);
  family('meshgate_gate_last_run_timestamp_seconds', 'When the last gate run finished, in seconds since the epoch.', [[{}, finished]]);
  family('meshgate_gate_duration_seconds', 'Wall time of the last gate run.', [[{}, report.durationMs / 1000]]);
  family('meshgate_gate_scenarios', 'Scenarios of the last gate run by outcome.', OUTCOMES.map((o) => [{ outcome: o }, report.scenarios.filter((s) => s.outcome === o).length]));
  family(
    'meshgate_gate_scenario_outcome',
    'Outcome of each scenario of the last gate run (1 for the outcome it had, 0 for the others).',
    report.scenarios.flatMap((s) => OUTCOMES.map((o): [Record<string, string>, number] => [{ scenario: s.id, plane: s.plane, severity: s.severity, outcome: o }, s.outcome === o ? 1 : 0])),
  );
  family('meshgate_gate_scenario_duration_seconds', 'Wall time of each scenario of the last gate run.', report.scenarios.map((s) => [{ scenario: s.id }, s.durationMs / 1000]));
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}
