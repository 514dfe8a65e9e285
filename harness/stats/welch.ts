/**
 * Welch's interval for the relative change of two means, (mean(head) − mean(base)) / |mean(base)|.
 * With the handful of repetitions a benchmark run has (3 to 7), a bootstrap interval is too narrow
 * (it treats the few values seen as the whole distribution); Student's t with the Welch–Satterthwaite
 * degrees of freedom accounts for how little is known about each side's spread.
 */
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { mean, type Interval } from './bootstrap.ts';

function variance(values: readonly number[], m: number): number {
  return values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1);
}

export function welchRelativeChange(base: readonly number[], head: readonly number[], confidence = 0.95): Interval {
  if (base.length < 2 || head.length < 2) throw new TypeError(`welchRelativeChange: each side needs at least 2 values (got ${base.length} and ${head.length})`);
  if (!(confidence > 0 && confidence < 1)) throw new TypeError(`welchRelativeChange: confidence must be in (0, 1) (got ${String(confidence)})`);
  for (const [name, values] of [['base', base], ['head', head]] as const) if (values.some((v) => !Number.isFinite(v))) throw new TypeError(`welchRelativeChange: ${name} holds a value that is not a finite number`);
  const mb = mean(base);
  const mh = mean(head);
  const scale = Math.abs(mb);
  if (scale === 0) throw new TypeError('welchRelativeChange: the base mean is 0, so a relative change is undefined');
  const qb = variance(base, mb) / base.length;
  const qh = variance(head, mh) / head.length;
  const estimate = (mh - mb) / scale;
  const se = Math.sqrt(qb + qh);
  // Both sides without spread: the change is exact.
  if (se === 0) return { estimate, low: estimate, high: estimate };
  const df = (qb + qh) ** 2 / ((qb > 0 ? qb ** 2 / (base.length - 1) : 0) + (qh > 0 ? qh ** 2 / (head.length - 1) : 0));
  const half = (tQuantile(1 - (1 - confidence) / 2, df) * se) / scale;
  return { estimate, low: estimate - half, high: estimate + half };
}
