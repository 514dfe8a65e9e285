/**
 * Bootstrap confidence intervals over repetitions: a statistic is recomputed on
 * repetitions drawn with replacement (never on pooled samples, so the interval
 * reflects run-to-run drift). Seeded, so the same data always gives the same interval.
 */

export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

export interface BootstrapOptions {
  /** Resamples drawn (default 2000). */
  iterations?: number;
  /** Two-sided confidence level in (0, 1) (default 0.95). */
  confidence?: number;
  seed?: number;
}

/** mulberry32: small, fast and good enough to draw resample indices. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new TypeError('mean: no values');
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

function checked(options: BootstrapOptions): Required<BootstrapOptions> {
  const iterations = options.iterations ?? 2000;
  const confidence = options.confidence ?? 0.95;
  const problems: string[] = [];
  if (!Number.isInteger(iterations) || iterations < 100 || iterations > 1_000_000) problems.push(`iterations must be a whole number in [100, 1000000] (got ${String(iterations)})`);
  if (!(confidence > 0 && confidence < 1)) problems.push(`confidence must be in (0, 1) (got ${String(confidence)})`);
  if (problems.length) throw new TypeError(`bootstrap: ${problems.join('; ')}`);
  return { iterations, confidence, seed: options.seed ?? 1 };
}

function interval(estimate: number, draws: number[], confidence: number): Interval {
  draws.sort((a, b) => a - b);
  const tail = (1 - confidence) / 2;
  const at = (q: number) => draws[Math.min(draws.length - 1, Math.max(0, Math.floor(q * draws.length)))]!;
  return { estimate, low: at(tail), high: at(1 - tail) };
}

function resample(n: number, random: () => number): number[] {
  return Array.from({ length: n }, () => Math.floor(random() * n));
}

function assertValues(name: string, values: readonly number[]): void {
  if (values.length < 2) throw new TypeError(`bootstrap: ${name} needs at least 2 repetitions (got ${values.length})`);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new TypeError(`bootstrap: ${name}[${bad}] is not a finite number (${String(values[bad])})`);
}

/** CI of the mean of one figure's per-repetition values. */
export function bootstrapMean(values: readonly number[], options: BootstrapOptions = {}): Interval {
  assertValues('values', values);
  const o = checked(options);
  const random = seededRandom(o.seed);
  const draws = Array.from({ length: o.iterations }, () => mean(resample(values.length, random).map((i) => values[i]!)));
  return interval(mean(values), draws, o.confidence);
}

/**
 * CI of a statistic of two figures measured in the same repetitions (interleaved,
 * so repetition i of both shares its drift): the same indices are drawn for both.
 */
export function bootstrapPaired(a: readonly number[], b: readonly number[], statistic: (a: number, b: number) => number, options: BootstrapOptions = {}): Interval {
  assertValues('a', a);
  assertValues('b', b);
  if (a.length !== b.length) throw new TypeError(`bootstrapPaired: a and b must have one value per repetition each (${a.length} vs ${b.length})`);
  const o = checked(options);
  const random = seededRandom(o.seed);
  const draws = Array.from({ length: o.iterations }, () => {
    const idx = resample(a.length, random);
    return statistic(mean(idx.map((i) => a[i]!)), mean(idx.map((i) => b[i]!)));
  });
  return interval(statistic(mean(a), mean(b)), draws, o.confidence);
}
