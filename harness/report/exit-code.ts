/** Process exit codes: 0 pass, 1 the gate failed, 2 usage or configuration error. */
import { SCENARIO_ERROR_CODES } from '../scenario/errors.ts';
import type { MutationSummary } from '../scenario/mutation.ts';
import type { ScenarioResult } from '../scenario/result.ts';

import { EXIT_CODES } from '../errors.ts';
export { EXIT_CODES };

const USAGE_ERROR_CODES = new Set<string>([SCENARIO_ERROR_CODES.invalid, SCENARIO_ERROR_CODES.noMatch]);

export interface GateInput {
  scenarios: readonly Pick<ScenarioResult, 'outcome'>[];
  mutation?: Pick<MutationSummary, 'mutants'>;
  aborted?: boolean;
  reportLeaks?: readonly string[];
}

/**
 * Passing needs at least one scenario passed, none failed or errored, no
 * interruption, and every mutant killed. An empty run is not a pass.
 */
export function gatePassed(input: GateInput): boolean {
  const { scenarios, mutation, aborted = false, reportLeaks = [] } = input;
  if (aborted || reportLeaks.length > 0) return false;
  if (scenarios.some((s) => s.outcome === 'failed' || s.outcome === 'error')) return false;
  if (!scenarios.some((s) => s.outcome === 'passed')) return false;
  if (mutation && mutation.mutants.some((m) => m.survived || m.error !== undefined)) return false;
  return true;
}

export function exitCodeFor(input: GateInput): 0 | 1 {
  return gatePassed(input) ? EXIT_CODES.pass : EXIT_CODES.fail;
}

/**
 * For an error that ended the run before a report: 2 for usage/config errors
 * (invalid catalog, selection matching nothing, or any error carrying
 * `exitCode: 2` or a code listed in extraUsageCodes), 1 otherwise.
 */
export function exitCodeForError(error: unknown, extraUsageCodes: readonly string[] = []): 1 | 2 {
  if (typeof error === 'object' && error !== null) {
    const { code, exitCode } = error as { code?: unknown; exitCode?: unknown };
    if (exitCode === EXIT_CODES.usage) return EXIT_CODES.usage;
    if (typeof code === 'string' && (USAGE_ERROR_CODES.has(code) || extraUsageCodes.includes(code))) return EXIT_CODES.usage;
  }
  return EXIT_CODES.fail;
}
