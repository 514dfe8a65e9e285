/** bench.json: the source of truth every other benchmark format is rendered from. */
import type { BenchConfig } from './bench-config.ts';
import type { Environment } from './environment.ts';
import type { Figure } from './figure.ts';
import type { MissingRung } from './missing-tool.ts';

export const BENCH_FORMAT = 'meshgate-bench/1';

export interface Curve {
  /** The ladder rung (or series) the curve belongs to. */
  name: string;
  label: string;
  /** [percentile, latency µs], over all repetitions merged. */
  points: Array<[number, number]>;
}

export interface BenchReport {
  format: typeof BENCH_FORMAT;
  startedAt: string;
  wallSeconds: number;
  config: BenchConfig;
  suites: string[];
  environment: Environment;
  figures: Figure[];
  curves: Curve[];
  missing: MissingRung[];
  notes: string[];
}

export function assertBenchReport(value: unknown, where: string): asserts value is BenchReport {
  const r = value as Partial<BenchReport> | null;
  const problems: string[] = [];
  if (r === null || typeof r !== 'object') throw new TypeError(`${where}: not a JSON object`);
  if (r.format !== BENCH_FORMAT) problems.push(`format must be "${BENCH_FORMAT}" (got ${JSON.stringify(r.format)})`);
  if (!Array.isArray(r.figures)) problems.push('figures must be an array');
  else
    r.figures.forEach((f, i) => {
      if (typeof f?.id !== 'string') problems.push(`figures[${i}].id must be a string`);
      if (!Array.isArray(f?.reps) || f.reps.some((v) => typeof v !== 'number')) problems.push(`figures[${i}].reps must be an array of numbers`);
      if (!['lower', 'higher', 'none'].includes(f?.better as string)) problems.push(`figures[${i}].better must be lower, higher or none`);
    });
  if (problems.length) throw new TypeError(`${where}: ${problems.join('; ')}`);
}
