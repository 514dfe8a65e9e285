/** What every suite of one benchmark run shares. */
import type { BenchConfig } from './bench-config.ts';
import type { BenchTokens } from './bench-tokens.ts';
import { FigureRecorder, type FigureSpec } from './figure.ts';
import { latencyHistogram, type LatencyHistogram, type Percentile, PERCENTILES } from '../stats/latency-histogram.ts';
import type { LadderProcess } from './ladder-process.ts';
import { closedLoop, type LoadResult } from './load.ts';
import type { MissingRung } from './missing-tool.ts';
import type { Sender } from './senders.ts';

export interface BenchContext {
  config: BenchConfig;
  ladder: LadderProcess;
  tokens: BenchTokens;
  recorder: FigureRecorder;
  /** Histograms merged over repetitions, for the percentile curves. */
  merged: Map<string, LatencyHistogram>;
  missing: MissingRung[];
  notes: string[];
}

export interface Measured extends LoadResult {
  /** Server CPU time per measured request, in microseconds. */
  cpuPerRequestUs: number;
  throughputPerS: number;
}

/** Warm-up first (not recorded), then a closed-loop run with the server's CPU time read around it. */
export async function measureClosed(ctx: BenchContext, sender: Sender, concurrency: number, requests = ctx.config.requests): Promise<Measured> {
  const timeoutMs = ctx.config.runTimeoutMs;
  await closedLoop(sender.send, { concurrency, requests: ctx.config.warmup, warmup: 0, timeoutMs });
  const before = await ctx.ladder.usage();
  const result = await closedLoop(sender.send, { concurrency, requests, warmup: 0, timeoutMs });
  const after = await ctx.ladder.usage();
  return { ...result, cpuPerRequestUs: (after.cpuUs - before.cpuUs) / requests, throughputPerS: (requests / result.elapsedMs) * 1000 };
}

export const pLabel = (p: Percentile) => `p${String(p).replace('.', '')}`;

/** Records p50/p90/p99/p99.9 of one run under `<id>.<p>` and merges the histogram for the curve. */
export function recordPercentiles(ctx: BenchContext, id: string, label: string, histogram: LatencyHistogram, percentiles: readonly Percentile[] = PERCENTILES): void {
  const n = histogram.totalCount;
  for (const p of percentiles) ctx.recorder.record({ ...latencySpec(`${id}.${pLabel(p)}`, `${label}, p${p}`), tailSamples: Math.floor(n * (1 - p / 100)) }, histogram.getValueAtPercentile(p));
  let merged = ctx.merged.get(id);
  if (!merged) ctx.merged.set(id, (merged = latencyHistogram()));
  merged.add(histogram);
}

export function latencySpec(id: string, label: string): FigureSpec {
  return { id, label, unit: 'µs', better: 'lower' };
}

export function cpuSpec(id: string, label: string): FigureSpec {
  return { id, label, unit: 'µs', better: 'lower' };
}

/** Repetition r runs the units starting at a different one, so no unit always runs first or last. */
export function rotated<T>(items: readonly T[], rep: number): T[] {
  const k = rep % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
