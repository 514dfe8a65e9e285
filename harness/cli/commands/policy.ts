import { policyCheckCommand } from '../../policy/check.ts';
import type { CommandHelp } from '../help.ts';
import type { CommandIo } from '../io.ts';
import { parseFlags } from '../parse.ts';
import { UsageError } from '../usage-error.ts';

export const policyCheckFlags = {
  policies: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

export const policyHelp: CommandHelp = {
  name: 'policy',
  summary: 'least-privilege check of a Cedar policy set against the topology',
  usage: ['policy check [--policies DIR] [--json]'],
  description:
    'Validates the policy directory against the mesh schema (every problem with file:line:column), then decides every principal (each workload, the operator, unknown and foreign IDs) × action × representative resource of the topology and reports each permit the topology does not declare, each permit looser than the mesh contract on a declared edge, wildcard scopes, policies that error and declared edges no policy permits, with policy id and file:line. Nothing is started.',
  flags: [
    { flag: '--policies DIR', text: 'the policy directory to check (default: services/pdp/policies, the policies the mesh runs)' },
    { flag: '--json', text: 'print the whole report as JSON: validity, problems, policy version, policies, the decision matrix size and every finding' },
  ],
  examples: ['meshgate policy check', 'meshgate policy check --policies ./my-policies --json'],
  exitCodes: '0 clean, 1 findings, 2 usage or configuration error (invalid policies included)',
};

export async function policyCommand(argv: string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'check') throw new UsageError(`meshgate policy: unknown subcommand ${sub === undefined ? '(none)' : `"${sub}"`}; use \`policy check\``);
  // Parsed here, like every command's flags, so an unknown flag is refused by name before anything runs.
  const { values } = parseFlags('policy check', rest, policyCheckFlags);
  const forwarded = [...(values.policies === undefined ? [] : ['--policies', values.policies]), ...(values.json ? ['--json'] : [])];
  return policyCheckCommand(forwarded, { stdout: { write: io.stdout }, stderr: { write: io.stderr } });
}
