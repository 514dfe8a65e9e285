/**
 * The soak: the whole catalog run again and again while busy processes
 * compete for the CPU. On a healthy mesh every run must pass; anything else
 * is a false result (the gate crying wolf), listed with the scenario and its
 * message. Each run is a separate `meshgate run`, as CI would start it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../mesh/state-dir.ts';
import type { RunReport } from '../report/run-report.ts';
import { CpuHogs } from './cpu-hog.ts';

export interface SoakOptions {
  runs: number;
  cpuHogs: number;
  reportDir: string;
  /** Also run mutation mode in every run. */
  mutate: boolean;
  /** Bound on one run's wall time. */
  runTimeoutMs: number;
  onRun?(run: SoakRun): void;
}

export interface SoakRun {
  index: number;
  exitCode: number | null;
  wallMs: number;
  summary: RunReport['summary'] | null;
  /** Every scenario that did not pass, and every mutant that was not killed. */
  falseResults: Array<{ id: string; outcome: string; message: string }>;
  reportDir: string;
}

export interface SoakReport {
  commit: string;
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; model: string };
  cpuHogs: { count: number; cpuSeconds: number[] };
  mutate: boolean;
  runs: SoakRun[];
  totals: { runs: number; passedRuns: number; failed: number; errors: number };
}

function commitOf(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: PACKAGE_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function oneRun(index: number, options: SoakOptions): Promise<SoakRun> {
  const reportDir = join(options.reportDir, `run-${String(index).padStart(2, '0')}`);
  const args = ['--disable-warning=ExperimentalWarning', join(PACKAGE_ROOT, 'harness', 'bin', 'meshgate.js'), 'run', '--report-dir', reportDir, ...(options.mutate ? ['--mutate'] : [])];
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: PACKAGE_ROOT, stdio: 'ignore', env: { ...process.env, CI: 'true' } });
    const timer = setTimeout(() => child.kill('SIGINT'), options.runTimeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const file = join(reportDir, 'report.json');
      const report = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunReport) : undefined;
      const falseResults = report
        ? [
            ...report.scenarios.filter((s) => s.outcome !== 'passed').map((s) => ({ id: s.id, outcome: s.outcome, message: s.message ?? '' })),
            ...(report.mutation?.mutants ?? []).filter((m) => m.survived || m.error).map((m) => ({ id: `mutant ${m.mutant.id}`, outcome: m.error ? 'error' : 'survived', message: m.error ?? 'no scenario failed' })),
          ]
        : [{ id: '(run)', outcome: 'error', message: `no report.json (exit ${code})` }];
      resolve({ index, exitCode: code, wallMs: Math.round(performance.now() - started), summary: report?.summary ?? null, falseResults, reportDir });
    });
  });
}

export async function soak(options: SoakOptions): Promise<SoakReport> {
  mkdirSync(options.reportDir, { recursive: true });
  const startedAt = new Date();
  const hogs = new CpuHogs(options.cpuHogs, options.runs * options.runTimeoutMs + 60_000);
  const runs: SoakRun[] = [];
  let hogSeconds: number[] = [];
  try {
    for (let i = 1; i <= options.runs; i++) {
      const run = await oneRun(i, options);
      runs.push(run);
      options.onRun?.(run);
    }
  } finally {
    hogSeconds = await hogs.stop();
  }
  const all = runs.flatMap((r) => r.falseResults);
  const report: SoakReport = {
    commit: commitOf(),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown' },
    cpuHogs: { count: options.cpuHogs, cpuSeconds: hogSeconds },
    mutate: options.mutate,
    runs,
    totals: { runs: runs.length, passedRuns: runs.filter((r) => r.exitCode === 0).length, failed: all.filter((r) => r.outcome === 'failed' || r.outcome === 'survived').length, errors: all.filter((r) => r.outcome === 'error' || r.outcome === 'skipped').length },
  };
  writeFileSync(join(options.reportDir, 'soak.json'), JSON.stringify(report, null, 2));
  return report;
}
