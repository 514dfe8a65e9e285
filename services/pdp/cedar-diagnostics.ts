/** Turns Cedar's DetailedError (with byte-offset labels and related errors) into located problems. */
import type { DetailedError } from '@cedar-policy/cedar-wasm/nodejs';
import type { PolicyProblem } from './policy-problem.ts';
import { charIndexOfByteOffset, positionOfIndex } from './source-position.ts';

export interface ProblemOrigin {
  file: string;
  /** The whole file's text, for line and column. */
  fileText: string;
  /** The text Cedar was given: a slice of fileText starting at `sliceStart` (string index). */
  sliceText: string;
  sliceStart: number;
  policyId?: string;
}

/** One problem per located label, per related error; an error without a location points at the slice start. */
export function problemsFromCedar(errors: readonly DetailedError[], origin: ProblemOrigin): PolicyProblem[] {
  const out: PolicyProblem[] = [];
  for (const error of errors) collect(error, origin, out);
  return out;
}

function collect(error: DetailedError, origin: ProblemOrigin, out: PolicyProblem[]): void {
  const locations = error.sourceLocations ?? [];
  const related = error.related ?? [];
  const offsets = locations.length > 0 ? locations.map((l) => ({ start: l.start, label: l.label })) : [{ start: 0, label: null }];
  // A parse error's related entries repeat the headline with further locations; keep each location once.
  const seen = new Set<number>();
  for (const { start, label } of offsets) {
    if (seen.has(start)) continue;
    seen.add(start);
    const index = origin.sliceStart + charIndexOfByteOffset(origin.sliceText, start);
    const { line, column } = positionOfIndex(origin.fileText, index);
    const problem: PolicyProblem = { file: origin.file, line, column, message: error.message };
    if (origin.policyId !== undefined) problem.policyId = origin.policyId;
    const help = [label, error.help].filter((s): s is string => typeof s === 'string' && s.length > 0).join('; ');
    if (help) problem.help = help;
    out.push(problem);
  }
  for (const r of related) collect(r, origin, out);
}
