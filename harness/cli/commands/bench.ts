import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FULL, QUICK } from '../../bench/bench-config.ts';
import { assertBenchReport, type BenchReport } from '../../bench/bench-report.ts';
import { compareReports, renderComparison } from '../../bench/compare.ts';
import { renderBenchHtml } from '../../bench/html.ts';
import { renderBenchMarkdown } from '../../bench/markdown.ts';
import { assertSuites, runBench, SUITES } from '../../bench/run-bench.ts';
import type { CommandHelp } from '../help.ts';
import type { CommandIo } from '../io.ts';
import { parseFlags } from '../parse.ts';
import { UsageError } from '../usage-error.ts';

export const benchFlags = {
  quick: { type: 'boolean', default: false },
  'report-dir': { type: 'string' },
} as const;

export const benchCompareFlags = { threshold: { type: 'string', default: '10%' } } as const;

export const benchHelp: CommandHelp = {
  name: 'bench',
  summary: 'what the security costs, with confidence intervals and baselines side by side; compare two runs as a regression gate',
  usage: ['bench [SUITE...] [--quick] [--report-dir DIR]', 'bench compare BASE.json HEAD.json [--threshold PERCENT]'],
  description:
    'Measures the cost of each control through the real mesh path (repetitions interleaved, HDR histograms, bootstrap 95 % intervals, an environment manifest) and writes bench.json, bench.md and bench.html; the Markdown goes to standard output, progress to standard error. Figures are never timed assertions. bench compare reads two bench.json files and reports each figure\'s change; a change is real only when its 95 % interval excludes zero and it passes the threshold.',
  args: [
    { flag: 'SUITE', text: `one or more of: ${Object.entries(SUITES).map(([name, what]) => `${name} (${what})`).join('; ')}. Default: every suite` },
    { flag: 'BASE.json HEAD.json', text: 'bench compare: the bench.json of the base run and of the run to judge' },
  ],
  flags: [
    { flag: '--quick', text: `the CI profile (${QUICK.repetitions} repetitions of ${QUICK.requests} requests, about 2 minutes for every suite) instead of the full one (${FULL.repetitions} repetitions of ${FULL.requests})` },
    { flag: '--report-dir DIR', text: 'where bench.json, bench.md and bench.html go (default: reports/bench-<UTC timestamp>/ in the current directory)' },
    { flag: '--threshold PERCENT', text: 'bench compare: the smallest change that counts as a regression, such as 10% (default: 10%)' },
  ],
  examples: ['meshgate bench --quick --report-dir reports/bench', 'meshgate bench ladder connections', 'meshgate bench compare reports/base/bench.json reports/bench/bench.json --threshold 5%'],
  exitCodes: '0 measured (compare: no regression), 1 compare found a real regression or a suite could not run, 2 usage error (an unknown suite or flag, an unreadable report)',
};

function readReport(path: string): BenchReport {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`meshgate bench compare: cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    assertBenchReport(value, path);
  } catch (err) {
    throw new UsageError(`meshgate bench compare: ${(err as Error).message}`);
  }
  return value;
}

export function parseThreshold(text: string): number {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  if (!m) throw new UsageError(`meshgate bench compare: --threshold must be a percentage such as 10% (got "${text}")`);
  return Number(m[1]) / 100;
}

async function compareCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseFlags('bench compare', argv, benchCompareFlags, true);
  if (positionals.length !== 2) throw new UsageError('meshgate bench compare: expected BASE.json HEAD.json');
  const comparison = compareReports(readReport(positionals[0]!), readReport(positionals[1]!), parseThreshold(values.threshold));
  io.stdout(renderComparison(comparison));
  return comparison.regressions > 0 ? 1 : 0;
}

export async function benchCommand(argv: string[], io: CommandIo): Promise<number> {
  if (argv[0] === 'compare') return compareCommand(argv.slice(1), io);
  const { values, positionals } = parseFlags('bench', argv, benchFlags, true);
  let suites;
  try {
    suites = assertSuites(positionals);
  } catch (err) {
    throw new UsageError(`meshgate bench: ${(err as Error).message}`);
  }
  const dir = resolve(values['report-dir'] ?? join('reports', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  const report = await runBench(suites, values.quick ? QUICK : FULL, (line) => io.stderr(`${line}\n`));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'bench.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(dir, 'bench.md'), renderBenchMarkdown(report));
  writeFileSync(join(dir, 'bench.html'), renderBenchHtml(report));
  io.stdout(renderBenchMarkdown(report));
  io.stdout(`\nwrote ${join(dir, 'bench.json')}, bench.md, bench.html in ${report.wallSeconds} s\n`);
  return 0;
}
