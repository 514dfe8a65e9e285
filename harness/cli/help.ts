/** Per-command help: one structure per command, rendered the same way for `meshgate help X` and `meshgate X --help`. */
export interface FlagHelp {
  /** As typed, with its value's name: `--state DIR`, `--json`. */
  flag: string;
  text: string;
}

export interface CommandHelp {
  name: string;
  /** One line for `meshgate --help`. */
  summary: string;
  /** Synopses without the leading `meshgate`. */
  usage: string[];
  description: string;
  flags: FlagHelp[];
  /** Positional arguments explained like flags. */
  args?: FlagHelp[];
  examples?: string[];
  /** What the exit codes mean for this command. */
  exitCodes: string;
}

const WIDTH = 100;
const FLAG_COLUMN = 26;

export const HELP_FLAG: FlagHelp = { flag: '-h, --help', text: 'show this help and exit' };

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function table(rows: FlagHelp[]): string[] {
  const out: string[] = [];
  for (const { flag, text } of rows) {
    const body = wrap(text, WIDTH - FLAG_COLUMN);
    const head = `  ${flag}`;
    if (head.length >= FLAG_COLUMN - 1) out.push(head, ...body.map((l) => `${' '.repeat(FLAG_COLUMN)}${l}`));
    else out.push(`${head.padEnd(FLAG_COLUMN)}${body[0] ?? ''}`, ...body.slice(1).map((l) => `${' '.repeat(FLAG_COLUMN)}${l}`));
  }
  return out;
}

export function renderCommandHelp(help: CommandHelp): string {
  const lines = help.usage.map((u, i) => `${i === 0 ? 'usage: ' : '       '}meshgate ${u}`);
  lines.push('', ...wrap(help.description, WIDTH));
  if (help.args?.length) lines.push('', 'arguments:', ...table(help.args));
  lines.push('', 'flags:', ...table([...help.flags, HELP_FLAG]));
  if (help.examples?.length) lines.push('', 'examples:', ...help.examples.map((e) => `  ${e}`));
  lines.push('', ...wrap(`exit codes: ${help.exitCodes}`, WIDTH), '');
  return lines.join('\n');
}

/** The long flag names a help text documents (`--state DIR` → `state`). */
export function documentedFlags(help: CommandHelp): string[] {
  return [...new Set(help.flags.flatMap((f) => [...f.flag.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!)))];
}
