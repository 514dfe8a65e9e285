import { resolve } from 'node:path';
import { soak } from '../../soak/soak.ts';
import type { CommandHelp } from '../help.ts';
import type { CommandIo } from '../io.ts';
import { plural } from '../plural.ts';
import { parseFlags } from '../parse.ts';
import { UsageError } from '../usage-error.ts';

export const soakFlags = {
  runs: { type: 'string', default: '10' },
  'cpu-hog': { type: 'string', default: '2' },
  'report-dir': { type: 'string' },
  mutate: { type: 'boolean', default: false },
} as const;

export const soakHelp: CommandHelp = {
  name: 'soak',
  summary: 'prove the gate does not cry wolf: the whole catalog N times while K busy processes compete for the CPU',
  usage: ['soak [--runs N] [--cpu-hog K] [--report-dir DIR] [--mutate]'],
  description:
    'Runs the whole catalog again and again, each time as its own `meshgate run` on a healthy mesh, while K processes spin on the CPU. Every run must pass: any scenario that fails or errors, and any mutant not killed, is a false result and is listed with its message. Writes soak.json (every run\'s verdicts and wall time, the hogs\' CPU seconds, the commit) and keeps each run\'s reports beside it.',
  flags: [
    { flag: '--runs N', text: 'how many runs of the whole catalog, 1 to 100 (default: 10); each is bounded to 5 minutes, 15 with --mutate' },
    { flag: '--cpu-hog K', text: 'how many busy processes compete for the CPU during the runs, 0 to 16 (default: 2)' },
    { flag: '--report-dir DIR', text: 'where soak.json and the runs\' reports go (default: reports/soak-<UTC timestamp>/ in the current directory)' },
    { flag: '--mutate', text: 'also run mutation mode in every run' },
  ],
  examples: ['meshgate soak --runs 10 --cpu-hog 2', 'npm run soak -- --runs 3 --cpu-hog 0 --report-dir reports/soak'],
  exitCodes: '0 every run passed, 1 any false result, 2 usage error',
};

function count(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`meshgate soak: ${flag} must be a whole number from ${min} to ${max} (got "${value}")`);
  return n;
}

export async function soakCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags('soak', argv, soakFlags);
  const runs = count(values.runs!, '--runs', 1, 100);
  const cpuHogs = count(values['cpu-hog']!, '--cpu-hog', 0, 16);
  const reportDir = resolve(values['report-dir'] ?? `reports/soak-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  io.stdout(`meshgate soak: ${plural(runs, 'run')} of the whole catalog${values.mutate ? ' with mutation mode' : ''}, ${plural(cpuHogs, 'CPU hog')}; ${reportDir}\n`);
  const report = await soak({
    runs,
    cpuHogs,
    reportDir,
    mutate: values.mutate!,
    runTimeoutMs: values.mutate ? 900_000 : 300_000,
    onRun: (r) => io.stdout(`run ${r.index}: exit ${r.exitCode} in ${(r.wallMs / 1000).toFixed(1)} s${r.falseResults.length ? ` — ${r.falseResults.map((f) => `${f.id} ${f.outcome}: ${f.message.slice(0, 200)}`).join('; ')}` : ''}\n`),
  });
  io.stdout(`${report.totals.passedRuns}/${plural(report.totals.runs, 'run')} passed; ${report.totals.failed} failed, ${plural(report.totals.errors, 'error')}; hogs used ${report.cpuHogs.cpuSeconds.map((s) => s.toFixed(0)).join(', ') || '0'} CPU s\n  ${resolve(reportDir, 'soak.json')}\n`);
  return report.totals.passedRuns === report.totals.runs ? 0 : 1;
}
