/**
 * `meshgate bench compare`: per figure the relative change head vs base with
 * Welch's interval over the two runs' repetitions. A report compares dozens of
 * figures, so each interval is widened (Bonferroni) until the chance that any
 * figure of two runs of one build is called changed stays under 5 %. A change
 * is real only when its interval excludes zero and it passes the threshold.
 */
import { welchRelativeChange } from '../stats/welch.ts';
import type { BenchReport } from './bench-report.ts';
import type { Figure } from './figure.ts';

export type Verdict = 'better' | 'same' | 'worse';

export interface FigureComparison {
  id: string;
  label: string;
  /** (head − base) / base, as a fraction. */
  change: number;
  low: number;
  high: number;
  verdict: Verdict;
}

export interface Comparison {
  threshold: number;
  /** Each figure's interval: 1 − FAMILY_ERROR / (figures compared). */
  confidence: number;
  figures: FigureComparison[];
  /** In one report only: not compared. */
  unmatched: string[];
  /** Tail percentiles with too few samples past them in one of the runs to call a change (a longer run can). */
  thinTails: string[];
  regressions: number;
}

/** A percentile whose tail holds fewer samples than this in a repetition says nothing about a change in it. */
export const MIN_TAIL_SAMPLES = 10;

/** The chance, over every figure of a comparison together, of calling a change between two runs of one build. */
export const FAMILY_ERROR = 0.05;

export function compareFigures(base: Figure, head: Figure, threshold: number, confidence = 1 - FAMILY_ERROR): FigureComparison {
  const ci = welchRelativeChange(base.reps, head.reps, confidence);
  const up = ci.low > 0 && ci.estimate >= threshold;
  const down = ci.high < 0 && -ci.estimate >= threshold;
  let verdict: Verdict = 'same';
  if (base.better !== 'none' && (up || down)) verdict = (up && base.better === 'lower') || (down && base.better === 'higher') ? 'worse' : 'better';
  return { id: base.id, label: base.label, change: ci.estimate, low: ci.low, high: ci.high, verdict };
}

export function compareReports(base: BenchReport, head: BenchReport, threshold: number): Comparison {
  if (!(threshold >= 0 && threshold < 10)) throw new TypeError(`threshold must be a fraction in [0, 10) (got ${String(threshold)})`);
  const heads = new Map(head.figures.map((f) => [f.id, f]));
  const pairs: Array<[Figure, Figure]> = [];
  const unmatched: string[] = [];
  const thinTails: string[] = [];
  for (const b of base.figures) {
    const h = heads.get(b.id);
    // A figure from one repetition has no interval: it cannot support a verdict.
    if (!h || b.reps.length < 2 || h.reps.length < 2 || b.estimate === 0) unmatched.push(b.id);
    else if (Math.min(b.tailSamples ?? Infinity, h.tailSamples ?? Infinity) < MIN_TAIL_SAMPLES) thinTails.push(b.id);
    else pairs.push([b, h]);
    heads.delete(b.id);
  }
  unmatched.push(...heads.keys());
  const confidence = 1 - FAMILY_ERROR / Math.max(1, pairs.length);
  const figures = pairs.map(([b, h]) => compareFigures(b, h, threshold, confidence));
  return { threshold, confidence, figures, unmatched, thinTails, regressions: figures.filter((f) => f.verdict === 'worse').length };
}

const pct = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)} %`;

export function renderComparison(c: Comparison): string {
  const lines = [`threshold ${(c.threshold * 100).toFixed(0)} %; a change is real when its interval excludes zero and it passes the threshold; Welch intervals at ${(c.confidence * 100).toFixed(2)} % each, so that two runs of one build show any change in at most ${FAMILY_ERROR * 100} % of comparisons`, ''];
  for (const f of c.figures) lines.push(`${f.verdict.padEnd(6)} ${pct(f.change).padStart(9)} [${pct(f.low)}, ${pct(f.high)}]  ${f.id}  ${f.label}`);
  if (c.unmatched.length) lines.push('', `not compared (in one report only, or fewer than 2 repetitions): ${c.unmatched.join(', ')}`);
  if (c.thinTails.length) lines.push('', `not compared (fewer than ${MIN_TAIL_SAMPLES} samples past the percentile in a repetition; a longer run measures them): ${c.thinTails.join(', ')}`);
  lines.push('', `${c.regressions} regression${c.regressions === 1 ? '' : 's'}`);
  return lines.join('\n') + '\n';
}
