/** One measured task of a benchmark, in microseconds, and the ratio to its side-by-side baseline. */
import type { Bench } from 'tinybench';

export interface BenchRow {
  name: string;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  samples: number;
  /** p50 divided by the baseline row's p50, when the bench has a baseline. */
  ratio?: number;
}

const us = (ms: number) => Math.round(ms * 1000 * 100) / 100;

export function rowsOf(bench: Bench, baseline?: string): BenchRow[] {
  const rows: BenchRow[] = bench.tasks.map((task) => {
    const result = task.result;
    if (result.state !== 'completed' && result.state !== 'aborted-with-statistics') {
      throw new Error(`bench task "${task.name}" did not complete (${result.state === 'errored' ? result.error.message : result.state})`);
    }
    return { name: task.name, p50Us: us(result.latency.p50), p99Us: us(result.latency.p99), meanUs: us(result.latency.mean), samples: result.latency.samplesCount };
  });
  const base = rows.find((r) => r.name === baseline);
  if (base) for (const r of rows) r.ratio = Math.round((r.p50Us / base.p50Us) * 100) / 100;
  return rows;
}

export function printRows(title: string, rows: BenchRow[]): void {
  console.log(`\n${title}`);
  console.table(rows.map((r) => ({ task: r.name, 'p50 µs': r.p50Us, 'p99 µs': r.p99Us, 'mean µs': r.meanUs, ...(r.ratio !== undefined ? { 'x baseline': r.ratio } : {}), samples: r.samples })));
}
