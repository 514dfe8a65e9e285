/** The meshgate command line. Exit codes: 0 pass, 1 gate failed, 2 usage or configuration error, 130 interrupted. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { benchCommand, benchCompareFlags, benchFlags, benchHelp } from './commands/bench.ts';
import { caCommand, caHelp, caIssueFlags, caRevokeFlags } from './commands/ca.ts';
import { downCommand, downFlags, downHelp } from './commands/down.ts';
import { exerciseCommand, exerciseHelp, exerciseListFlags, exerciseReportFlags, exerciseRunFlags, exerciseValidateFlags } from './commands/exercise.ts';
import { listCommand, listFlags, listHelp } from './commands/list.ts';
import { policyCheckFlags, policyCommand, policyHelp } from './commands/policy.ts';
import { runCommand, runFlags, runHelp } from './commands/run.ts';
import { soakCommand, soakFlags, soakHelp } from './commands/soak.ts';
import { sealCardCommand, sealCardFlags, sealCardHelp } from './commands/seal-card.ts';
import { statusCommand, statusFlags, statusHelp } from './commands/status.ts';
import { upCommand, upFlags, upHelp } from './commands/up.ts';
import { renderCommandHelp, type CommandHelp } from './help.ts';
import { processIo, type CommandIo } from './io.ts';
import { UsageError } from './usage-error.ts';
import { PACKAGE_ROOT } from '../mesh/state-dir.ts';
import { EXIT_CODES, exitCodeOf } from '../errors.ts';

type FlagOptions = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  run: (argv: string[], io: CommandIo) => Promise<number>;
  /** Structured help; a plain string is printed as it is. */
  help: CommandHelp | string;
  /** Every flag set the command (and its subcommands) parses, so tests can hold the help to them. */
  flags?: readonly FlagOptions[];
}

export const COMMANDS: Record<string, Command> = {
  run: { run: runCommand, help: runHelp, flags: [runFlags] },
  list: { run: listCommand, help: listHelp, flags: [listFlags] },
  up: { run: upCommand, help: upHelp, flags: [upFlags] },
  down: { run: downCommand, help: downHelp, flags: [downFlags] },
  status: { run: statusCommand, help: statusHelp, flags: [statusFlags] },
  ca: { run: caCommand, help: caHelp, flags: [caIssueFlags, caRevokeFlags] },
  'seal-card': { run: sealCardCommand, help: sealCardHelp, flags: [sealCardFlags] },
  policy: { run: policyCommand, help: policyHelp, flags: [policyCheckFlags] },
  bench: { run: benchCommand, help: benchHelp, flags: [benchFlags, benchCompareFlags] },
  soak: { run: soakCommand, help: soakHelp, flags: [soakFlags] },
  exercise: { run: exerciseCommand, help: exerciseHelp, flags: [exerciseListFlags, exerciseValidateFlags, exerciseRunFlags, exerciseReportFlags] },
};

export function version(): string {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
  return `meshgate ${pkg.version} (Node.js ${process.version})\n`;
}

export function commandHelp(command: Command): string {
  return typeof command.help === 'string' ? `usage: meshgate ${command.help}\n` : renderCommandHelp(command.help);
}

export function usage(): string {
  const lines = [
    'meshgate: a security verification harness for service-to-service communication',
    '',
    'usage: meshgate <command> [arguments] [flags]',
    '       meshgate help <command>       every flag of a command explained (also: meshgate <command> --help)',
    '       meshgate --version',
    '',
    'commands:',
  ];
  for (const command of Object.values(COMMANDS)) {
    if (typeof command.help === 'string') lines.push(`  ${command.help}`);
    else lines.push(...command.help.usage.map((u) => `  ${u}`), `      ${command.help.summary}`);
  }
  lines.push(
    '',
    'environment:',
    '  NO_COLOR=1      no colour in the output (https://no-color.org); wins over FORCE_COLOR',
    '  FORCE_COLOR=1   colour also when the output is not a terminal (FORCE_COLOR=0: never); by default colour only on a terminal',
    '  CI=true         progress as plain lines, one per scenario',
    '  OTEL_EXPORTER_OTLP_ENDPOINT, _TRACES_ENDPOINT, _HEADERS, _PROTOCOL',
    '                  run and up also forward every span to your collector (as --otlp-endpoint)',
    '',
    'exit codes: 0 pass, 1 gate failed, 2 usage or configuration error, 130 interrupted',
    '',
  );
  return lines.join('\n');
}

/** `meshgate list | head`: a reader that stops early ends the command quietly, not with an EPIPE stack trace. */
function stopQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount('error') > 0) continue;
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
}

/** `--help` or `-h` among a command's arguments (before a `--`). */
function asksForHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  if (io === processIo) stopQuietlyOnClosedPipe();
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr(usage());
    return EXIT_CODES.usage;
  }
  if (name === '--help' || name === '-h') {
    io.stdout(usage());
    return 0;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout(version());
    return 0;
  }
  try {
    if (name === 'help') {
      if (rest.length === 0) {
        io.stdout(usage());
        return 0;
      }
      const wanted = COMMANDS[rest[0]!];
      if (!wanted || rest.length > 1) throw new UsageError(`meshgate help: ${wanted ? 'expected one command' : `unknown command "${rest[0]}"`}; commands: ${Object.keys(COMMANDS).join(', ')}`);
      io.stdout(commandHelp(wanted));
      return 0;
    }
    const command = COMMANDS[name];
    if (!command) throw new UsageError(`meshgate: unknown ${name.startsWith('-') ? 'flag' : 'command'} "${name}"; commands: ${Object.keys(COMMANDS).join(', ')} (meshgate --help lists them with their flags)`);
    if (asksForHelp(rest)) {
      io.stdout(commandHelp(command));
      return 0;
    }
    return await command.run(rest, io);
  } catch (err) {
    const code = exitCodeOf(err);
    const message = (err as Error).message;
    if (code !== EXIT_CODES.usage) io.stderr(`meshgate ${name}: ${message}\n`);
    else io.stderr(`${message}\n${COMMANDS[name] ? `run \`meshgate help ${name}\` for every flag of ${name}\n` : ''}`);
    return code;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
