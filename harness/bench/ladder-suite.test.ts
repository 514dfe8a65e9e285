import { describe, expect, it } from 'vitest';
import type { BenchContext } from './bench-context.ts';
import { FigureRecorder } from './figure.ts';
import { DEFAULT_SETTINGS } from '../../services/kit/workload/settings.ts';
import { HOP_RUNG, LADDER } from './ladder-rungs.ts';
import { ladderDerived } from './ladder-suite.ts';

describe('ladderDerived', () => {
  it('prices the default hop (decision from the enforcer cache), the embedded one and every control, each over mTLS alone and over plaintext, per repetition', () => {
    const recorder = new FigureRecorder();
    // Two repetitions; each rung's p50 and p99 a known amount above plaintext.
    const offset: Record<string, number> = { plaintext: 0, tls: 30, mtls: 40, 'access-token': 41, 'txn-token': 300, 'policy-embedded': 700, 'policy-remote': 1300, 'policy-cached': 310, 'field-encryption': 2000 };
    for (const [rep, base] of [100, 120].entries()) {
      for (const rung of LADDER) {
        // In the second repetition the cached hop costs 20 µs more: each difference pairs a repetition with itself.
        const drift = rep === 1 && rung.id === 'policy-cached' ? 20 : 0;
        recorder.record({ id: `ladder.${rung.id}.p50`, label: rung.label, unit: 'µs', better: 'lower' }, base + offset[rung.id]! + drift);
        recorder.record({ id: `ladder.${rung.id}.p99`, label: rung.label, unit: 'µs', better: 'lower' }, 3 * base + offset[rung.id]!);
      }
    }
    const figures = new Map(ladderDerived({ recorder } as unknown as BenchContext).map((f) => [f.id, f]));
    expect(HOP_RUNG).toBe(DEFAULT_SETTINGS.pdpEmbedded ? 'policy-embedded' : 'policy-cached');
    expect(figures.get('ladder.hop.controls.over-mtls.p50')?.reps).toEqual([270, 290]);
    expect(figures.get('ladder.hop.controls.over-mtls.p50')?.label).toContain('decision cache');
    expect(figures.get('ladder.hop.controls.over-mtls.p99')?.estimate).toBeCloseTo(270);
    expect(figures.get('ladder.hop.controls.over-plaintext.p50')?.reps).toEqual([310, 330]);
    expect(figures.get('ladder.hop.embedded.over-mtls.p50')?.estimate).toBeCloseTo(660);
    expect(figures.get('ladder.hop.all.over-plaintext.p99')?.estimate).toBeCloseTo(2000);
    // A ratio of the means, not a mean of the ratios.
    expect(figures.get('ladder.hop.all.ratio')?.estimate).toBeCloseTo(2110 / 110, 1);
    expect(figures.get('ladder.txn-token.marginal.p50')?.estimate).toBeCloseTo(259);
  });
});
