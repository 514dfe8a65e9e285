import { resolve } from 'node:path';
import { soak } from '../../soak/soak.ts';
import type { CommandIo } from '../io.ts';
import { parseFlags } from '../parse.ts';
import { UsageError } from '../usage-error.ts';

export const soakHelp = 'soak [--runs N] [--cpu-hog K] [--report-dir DIR] [--mutate]\n                                 run the whole catalog N times (default 10) while K busy processes (default 2) compete for the CPU; writes soak.json; exit 1 on any false result';

function count(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`meshgate soak: ${flag} must be a whole number from ${min} to ${max} (got "${value}")`);
  return n;
}

export async function soakCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags('soak', argv, { runs: { type: 'string', default: '10' }, 'cpu-hog': { type: 'string', default: '2' }, 'report-dir': { type: 'string' }, mutate: { type: 'boolean', default: false } });
  const runs = count(values.runs!, '--runs', 1, 100);
  const cpuHogs = count(values['cpu-hog']!, '--cpu-hog', 0, 16);
  const reportDir = resolve(values['report-dir'] ?? `reports/soak-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  io.stdout(`meshgate soak: ${runs} run${runs === 1 ? '' : 's'} of the whole catalog${values.mutate ? ' with mutation mode' : ''}, ${cpuHogs} CPU hog${cpuHogs === 1 ? '' : 's'}; ${reportDir}\n`);
  const report = await soak({
    runs,
    cpuHogs,
    reportDir,
    mutate: values.mutate!,
    runTimeoutMs: values.mutate ? 900_000 : 300_000,
    onRun: (r) => io.stdout(`run ${r.index}: exit ${r.exitCode} in ${(r.wallMs / 1000).toFixed(1)} s${r.falseResults.length ? ` — ${r.falseResults.map((f) => `${f.id} ${f.outcome}: ${f.message.slice(0, 200)}`).join('; ')}` : ''}\n`),
  });
  io.stdout(`${report.totals.passedRuns}/${report.totals.runs} runs passed; ${report.totals.failed} failed, ${report.totals.errors} errors; hogs used ${report.cpuHogs.cpuSeconds.map((s) => s.toFixed(0)).join(', ') || '0'} CPU s\n  ${resolve(reportDir, 'soak.json')}\n`);
  return report.totals.passedRuns === report.totals.runs ? 0 : 1;
}
