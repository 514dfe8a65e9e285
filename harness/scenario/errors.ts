import { ERROR_CODES, MeshgateError } from '../errors.ts';

/** Error registry for the scenario area. Both errors are usage/config errors (exit code 2). */
export const SCENARIO_ERROR_CODES = {
  invalid: ERROR_CODES.scenarioInvalid,
  noMatch: ERROR_CODES.scenarioNoMatch,
} as const;

export interface ScenarioProblem {
  /** Display path of the scenario file, relative to the package root; absent for a scenario defined outside the catalog. */
  file?: string;
  /** Dotted field path, e.g. meta.severity, or (module) for the file as a whole. */
  field: string;
  message: string;
}

export function formatProblem(problem: ScenarioProblem): string {
  return `${problem.file ? `${problem.file}: ` : ''}${problem.field}: ${problem.message}`;
}

export class ScenarioValidationError extends MeshgateError {
  readonly problems: readonly ScenarioProblem[];
  constructor(problems: readonly ScenarioProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(SCENARIO_ERROR_CODES.invalid, `invalid scenario catalog (${count}):\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`);
    this.name = 'ScenarioValidationError';
    this.problems = problems;
  }
}

/** A selection (patterns, tags, grep) that names nothing in the catalog. */
export class ScenarioSelectionError extends MeshgateError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(SCENARIO_ERROR_CODES.noMatch, problems.length === 1 ? problems[0]! : `invalid scenario selection:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ScenarioSelectionError';
    this.problems = problems;
  }
}

export function isScenarioValidationError(error: unknown): error is ScenarioValidationError {
  return error instanceof ScenarioValidationError || (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === SCENARIO_ERROR_CODES.invalid && Array.isArray((error as { problems?: unknown }).problems));
}
