/** The policy plane's error registry: stable codes callers can branch on. */
import type { PolicyProblem } from './policy-problem.ts';

export const POLICY_ERROR_CODES = {
  invalid: 'MESHGATE_ERR_POLICY_INVALID',
  schemaInvalid: 'MESHGATE_ERR_POLICY_SCHEMA_INVALID',
  directory: 'MESHGATE_ERR_POLICY_DIRECTORY',
  rollback: 'MESHGATE_ERR_POLICY_ROLLBACK',
} as const;

export type PolicyErrorCode = (typeof POLICY_ERROR_CODES)[keyof typeof POLICY_ERROR_CODES];

/** A policy set (or the schema) that cannot be put in force; `problems` lists every one found. */
export class PolicyValidationError extends Error {
  readonly code: PolicyErrorCode;
  readonly problems: readonly PolicyProblem[];
  constructor(code: PolicyErrorCode, message: string, problems: readonly PolicyProblem[]) {
    super(message);
    this.name = 'PolicyValidationError';
    this.code = code;
    this.problems = problems;
  }
}

/** A policy directory that cannot be read at all. */
export class PolicyDirectoryError extends Error {
  readonly code = POLICY_ERROR_CODES.directory;
  readonly dir: string;
  constructor(dir: string, message: string) {
    super(message);
    this.name = 'PolicyDirectoryError';
    this.dir = dir;
  }
}
