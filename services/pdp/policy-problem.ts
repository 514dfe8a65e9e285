/** One reason a policy set or schema was refused, located in its source file. */
export interface PolicyProblem {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based, in characters. */
  column: number;
  /** The @id of the policy concerned, when known. */
  policyId?: string;
  /** Cedar's message (or ours, for rules Cedar does not have). */
  message: string;
  help?: string;
}

/** "file:line:column: message (help)" — one line per problem, the form editors jump to. */
export function formatProblem(problem: PolicyProblem): string {
  const id = problem.policyId ? ` [${problem.policyId}]` : '';
  const help = problem.help ? ` (help: ${problem.help})` : '';
  return `${problem.file}:${problem.line}:${problem.column}:${id} ${problem.message}${help}`;
}
