/** How a figure's value reads in text. */
import type { Figure, Unit } from './figure.ts';

const UNIT: Record<Unit, string> = { 'µs': ' µs', ms: ' ms', per_s: ' /s', ratio: '×', percent: ' %', MB: ' MB' };

export function num(v: number): string {
  const a = Math.abs(v);
  return a >= 100 ? String(Math.round(v)) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

export function value(f: Pick<Figure, 'unit'>, v: number): string {
  return `${num(v)}${UNIT[f.unit]}`;
}

/** "412 µs [398, 430]" */
export function withCi(f: Figure): string {
  return `${value(f, f.estimate)} [${num(f.low)}, ${num(f.high)}]`;
}
