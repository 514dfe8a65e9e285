/**
 * The harness's one error type and its closed list of codes. Each error
 * carries the exit code the command line ends with, so the CLI maps errors
 * to exit codes in one place and never by matching messages.
 */
export const EXIT_CODES = { pass: 0, fail: 1, usage: 2, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

export const ERROR_CODES = {
  /** A flag, argument or file given to a command is wrong. */
  usage: 'MESHGATE_ERR_USAGE',
  /** The scenario catalog does not validate. */
  scenarioInvalid: 'MESHGATE_ERR_SCENARIO_INVALID',
  /** A selection names no scenario. */
  scenarioNoMatch: 'MESHGATE_ERR_SCENARIO_NO_MATCH',
  /** There is no running mesh to attach to. */
  attach: 'MESHGATE_ERR_ATTACH',
  /** The mesh could not be started. */
  meshStart: 'MESHGATE_ERR_MESH_START',
  /** The mesh refused an operator action the harness needed. */
  operatorAction: 'MESHGATE_ERR_OPERATOR_ACTION',
  /** The compose executable or the container CLI failed, or a container does not publish what the engine needs. */
  container: 'MESHGATE_ERR_CONTAINER',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** Usage and configuration mistakes end with 2; a harness that could not do its job ends with 1. */
const EXIT_CODE_OF: Record<ErrorCode, ExitCode> = {
  MESHGATE_ERR_USAGE: EXIT_CODES.usage,
  MESHGATE_ERR_SCENARIO_INVALID: EXIT_CODES.usage,
  MESHGATE_ERR_SCENARIO_NO_MATCH: EXIT_CODES.usage,
  MESHGATE_ERR_ATTACH: EXIT_CODES.usage,
  MESHGATE_ERR_MESH_START: EXIT_CODES.fail,
  MESHGATE_ERR_OPERATOR_ACTION: EXIT_CODES.fail,
  MESHGATE_ERR_CONTAINER: EXIT_CODES.fail,
};

export class MeshgateError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'MeshgateError';
    this.code = code;
    this.exitCode = EXIT_CODE_OF[code];
  }
}

/** The exit code an error ends a command with: its own, or 1 for anything unexpected. */
export function exitCodeOf(error: unknown): ExitCode {
  return error instanceof MeshgateError ? error.exitCode : EXIT_CODES.fail;
}
