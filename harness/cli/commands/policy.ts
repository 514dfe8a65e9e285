import { policyCheckCommand } from '../../policy/check.ts';
import type { CommandIo } from '../io.ts';
import { UsageError } from '../usage-error.ts';

export const policyHelp = 'policy check [--policies DIR] [--json]   validate policies and report every permit the topology does not declare';

export async function policyCommand(argv: string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'check') throw new UsageError(`meshgate policy: unknown subcommand ${sub === undefined ? '(none)' : `"${sub}"`}; use \`policy check\``);
  return policyCheckCommand(rest, { stdout: { write: io.stdout }, stderr: { write: io.stderr } });
}
