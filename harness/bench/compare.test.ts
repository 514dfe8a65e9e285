import { describe, expect, it } from 'vitest';
import { seededRandom } from '../stats/bootstrap.ts';
import { BENCH_FORMAT, type BenchReport } from './bench-report.ts';
import { compareReports } from './compare.ts';
import { figureOf, type Better } from './figure.ts';
import { FULL, QUICK } from './bench-config.ts';

/** Per-repetition p50s of a rung: log-normal around `median`, 8 % spread, as repetitions on a busy machine look. */
function repetitions(random: () => number, median: number, n = 5): number[] {
  return Array.from({ length: n }, () => {
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return median * Math.exp(0.08 * normal);
  });
}

function report(figures: Array<{ id: string; reps: number[]; better?: Better; tailSamples?: number }>): BenchReport {
  return {
    format: BENCH_FORMAT,
    startedAt: '2026-01-01T00:00:00.000Z',
    wallSeconds: 1,
    config: QUICK,
    suites: ['ladder'],
    environment: { cpuModel: 'x', cores: 2, cpuFlags: [], memoryMB: 1, kernel: 'k', platform: 'p', node: 'v24', nodeOpenssl: '3', opensslCli: undefined, nginx: undefined, loadAverageBefore: [0, 0, 0] },
    figures: figures.map((f) => figureOf({ id: f.id, label: f.id, unit: f.better === 'higher' ? 'per_s' : 'µs', better: f.better ?? 'lower', ...(f.tailSamples !== undefined ? { tailSamples: f.tailSamples } : {}) }, f.reps)),
    curves: [],
    missing: [],
    notes: [],
  };
}

describe('bench compare statistics (synthetic repetitions, nothing timed)', () => {
  it('two runs from one distribution give no regression in at least 19 of 20 pairs', () => {
    const random = seededRandom(14);
    let regressions = 0;
    for (let pair = 0; pair < 20; pair++) {
      const base = report([{ id: 'ladder.mtls.p50', reps: repetitions(random, 400) }]);
      const head = report([{ id: 'ladder.mtls.p50', reps: repetitions(random, 400) }]);
      if (compareReports(base, head, 0.1).regressions > 0) regressions += 1;
    }
    expect(regressions).toBeLessThanOrEqual(1);
  });

  it('two runs of one build, 60 figures each at the quick profile’s 3 repetitions: any regression in at most 1 of 20 pairs', () => {
    const random = seededRandom(17);
    const ids = Array.from({ length: 60 }, (_, i) => ({ id: `f${i}`, median: 100 + 50 * i }));
    let withRegression = 0;
    for (let pair = 0; pair < 20; pair++) {
      const base = report(ids.map((f) => ({ id: f.id, reps: repetitions(random, f.median, QUICK.repetitions) })));
      const head = report(ids.map((f) => ({ id: f.id, reps: repetitions(random, f.median, QUICK.repetitions) })));
      if (compareReports(base, head, 0.1).regressions > 0) withRegression += 1;
    }
    expect(withRegression).toBeLessThanOrEqual(1);
  });

  it('finds a 25 % slowdown, and a 25 % drop in throughput, as worse (the full profile’s repetitions)', () => {
    const random = seededRandom(15);
    let found = 0;
    for (let pair = 0; pair < 20; pair++) {
      const n = FULL.repetitions;
      const base = report([{ id: 'lat', reps: repetitions(random, 400, n) }, { id: 'rate', reps: repetitions(random, 1000, n), better: 'higher' }]);
      const head = report([{ id: 'lat', reps: repetitions(random, 500, n) }, { id: 'rate', reps: repetitions(random, 750, n), better: 'higher' }]);
      const c = compareReports(base, head, 0.1);
      if (c.figures.every((f) => f.verdict === 'worse')) found += 1;
    }
    expect(found).toBeGreaterThanOrEqual(19);
  });

  it('calls a real speed-up better, and a change inside the threshold the same', () => {
    const random = seededRandom(16);
    const base = report([{ id: 'fast', reps: repetitions(random, 400) }, { id: 'small', reps: [100, 100.5, 99.5, 100.2, 99.8] }]);
    const head = report([{ id: 'fast', reps: repetitions(random, 280) }, { id: 'small', reps: [105, 105.5, 104.5, 105.2, 104.8] }]);
    const c = compareReports(base, head, 0.1);
    expect(c.figures.find((f) => f.id === 'fast')!.verdict).toBe('better');
    const small = c.figures.find((f) => f.id === 'small')!;
    expect(small.low).toBeGreaterThan(0);
    expect(small.verdict).toBe('same');
  });

  it('calls no change in a tail percentile that too few samples reach (the p99.9 of 150 requests is their maximum)', () => {
    // A doubling the statistics would call worse, on a p99.9 that no sample of either run lies beyond.
    const c = compareReports(report([{ id: 'p999', reps: [100, 101, 99], tailSamples: 0 }, { id: 'p50', reps: [50, 51, 49], tailSamples: 75 }]), report([{ id: 'p999', reps: [200, 202, 198], tailSamples: 0 }, { id: 'p50', reps: [100, 102, 98], tailSamples: 75 }]), 0.1);
    expect(c.thinTails).toEqual(['p999']);
    expect(c.figures.map((f) => [f.id, f.verdict])).toEqual([['p50', 'worse']]);
    expect(c.regressions).toBe(1);
  });

  it('lists figures present in only one report instead of comparing them', () => {
    const c = compareReports(report([{ id: 'a', reps: [1, 2] }]), report([{ id: 'b', reps: [1, 2] }]), 0.1);
    expect(c.unmatched).toEqual(['a', 'b']);
    expect(c.figures).toEqual([]);
  });
});
