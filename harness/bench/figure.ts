/** One measured figure: its value in each repetition, the mean over them and its bootstrap 95 % interval. */
import { bootstrapMean, bootstrapPaired, mean } from '../stats/bootstrap.ts';

export type Unit = 'µs' | 'ms' | 'per_s' | 'ratio' | 'percent' | 'MB';
export type Better = 'lower' | 'higher' | 'none';

export interface Figure {
  id: string;
  label: string;
  unit: Unit;
  better: Better;
  /** One value per repetition, in the order the repetitions ran. */
  reps: number[];
  estimate: number;
  low: number;
  high: number;
  /** For a latency percentile: the fewest samples at or past it in any repetition (the p99.9 of 150 samples rests on none). */
  tailSamples?: number;
}

export interface FigureSpec {
  id: string;
  label: string;
  unit: Unit;
  better: Better;
  tailSamples?: number;
}

const round = (v: number) => Math.round(v * 1000) / 1000;

function withInterval(spec: FigureSpec, reps: number[], interval: { estimate: number; low: number; high: number }): Figure {
  return { ...spec, reps: reps.map(round), estimate: round(interval.estimate), low: round(interval.low), high: round(interval.high) };
}

export function figureOf(spec: FigureSpec, reps: number[]): Figure {
  if (reps.length === 0) throw new TypeError(`figure ${spec.id}: no repetitions`);
  if (reps.length === 1) return withInterval(spec, reps, { estimate: reps[0]!, low: reps[0]!, high: reps[0]! });
  return withInterval(spec, reps, bootstrapMean(reps));
}

/** a / b of two figures measured in the same repetitions: the interval resamples repetitions jointly. */
export function ratioOf(spec: FigureSpec, a: number[], b: number[]): Figure {
  const reps = a.map((v, i) => v / b[i]!);
  if (a.length < 2) return withInterval(spec, reps, { estimate: mean(a) / mean(b), low: reps[0]!, high: reps[0]! });
  return withInterval(spec, reps, bootstrapPaired(a, b, (x, y) => x / y));
}

/** a − b of two figures measured in the same repetitions (a rung's marginal cost over the rung below). */
export function differenceOf(spec: FigureSpec, a: number[], b: number[]): Figure {
  return figureOf(spec, a.map((v, i) => v - b[i]!));
}

/** Collects per-repetition values under figure ids as the repetitions run. */
export class FigureRecorder {
  #specs = new Map<string, FigureSpec>();
  #values = new Map<string, number[]>();

  record(spec: FigureSpec, value: number): void {
    if (!Number.isFinite(value)) throw new Error(`figure ${spec.id}: measured a non-finite value (${value})`);
    const seen = this.#specs.get(spec.id)?.tailSamples;
    // The weakest repetition decides what the figure can support.
    this.#specs.set(spec.id, seen !== undefined && spec.tailSamples !== undefined ? { ...spec, tailSamples: Math.min(seen, spec.tailSamples) } : spec);
    const list = this.#values.get(spec.id) ?? [];
    list.push(value);
    this.#values.set(spec.id, list);
  }

  values(id: string): number[] | undefined {
    return this.#values.get(id);
  }

  figures(): Figure[] {
    return [...this.#specs.values()].map((spec) => figureOf(spec, this.#values.get(spec.id)!));
  }
}
