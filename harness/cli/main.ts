/** The meshgate command line. Exit codes: 0 pass, 1 gate failed, 2 usage or configuration error. */
import { benchCommand, benchHelp } from './commands/bench.ts';
import { caCommand, caHelp } from './commands/ca.ts';
import { downCommand, downHelp } from './commands/down.ts';
import { listCommand, listHelp } from './commands/list.ts';
import { policyCommand, policyHelp } from './commands/policy.ts';
import { runCommand, runHelp } from './commands/run.ts';
import { soakCommand, soakHelp } from './commands/soak.ts';
import { statusCommand, statusHelp } from './commands/status.ts';
import { upCommand, upHelp } from './commands/up.ts';
import { processIo, type CommandIo } from './io.ts';
import { UsageError } from './usage-error.ts';
import { EXIT_CODES, exitCodeOf } from '../errors.ts';

type Command = { run: (argv: string[], io: CommandIo) => Promise<number>; help: string };

const COMMANDS: Record<string, Command> = {
  run: { run: runCommand, help: runHelp },
  list: { run: listCommand, help: listHelp },
  up: { run: upCommand, help: upHelp },
  down: { run: downCommand, help: downHelp },
  status: { run: statusCommand, help: statusHelp },
  ca: { run: caCommand, help: caHelp },
  policy: { run: policyCommand, help: policyHelp },
  bench: { run: benchCommand, help: benchHelp },
  soak: { run: soakCommand, help: soakHelp },
};

export function usage(): string {
  return ['usage: meshgate <command> [flags]', '', 'commands:', ...Object.values(COMMANDS).map((c) => `  ${c.help}`), '', 'exit codes: 0 pass, 1 gate failed, 2 usage or configuration error', ''].join('\n');
}

export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  try {
    if (!command) throw new UsageError(`unknown command "${name}"\n\n${usage()}`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(`usage: meshgate ${command.help}\n`);
      return 0;
    }
    return await command.run(rest, io);
  } catch (err) {
    const code = exitCodeOf(err);
    io.stderr(code === EXIT_CODES.usage ? `${(err as Error).message}\n` : `meshgate ${name}: ${(err as Error).message}\n`);
    return code;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
