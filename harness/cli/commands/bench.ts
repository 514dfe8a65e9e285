import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FULL, QUICK } from '../../bench/bench-config.ts';
import { assertBenchReport, type BenchReport } from '../../bench/bench-report.ts';
import { compareReports, renderComparison } from '../../bench/compare.ts';
import { renderBenchHtml } from '../../bench/html.ts';
import { renderBenchMarkdown } from '../../bench/markdown.ts';
import { assertSuites, runBench } from '../../bench/run-bench.ts';
import type { CommandIo } from '../io.ts';
import { parseFlags } from '../parse.ts';
import { UsageError } from '../usage-error.ts';

export const benchHelp = 'bench [SUITE...] [--quick] [--report-dir DIR] | bench compare BASE.json HEAD.json [--threshold 10%]\n                                   what the security costs: bench.json, bench.md, bench.html (compare exits 1 on a real regression)';

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
  const { values, positionals } = parseFlags('bench compare', argv, { threshold: { type: 'string', default: '10%' } }, true);
  if (positionals.length !== 2) throw new UsageError('meshgate bench compare: expected BASE.json HEAD.json');
  const comparison = compareReports(readReport(positionals[0]!), readReport(positionals[1]!), parseThreshold(values.threshold));
  io.stdout(renderComparison(comparison));
  return comparison.regressions > 0 ? 1 : 0;
}

export async function benchCommand(argv: string[], io: CommandIo): Promise<number> {
  if (argv[0] === 'compare') return compareCommand(argv.slice(1), io);
  const { values, positionals } = parseFlags('bench', argv, { quick: { type: 'boolean', default: false }, 'report-dir': { type: 'string' } }, true);
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
