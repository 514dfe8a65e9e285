/**
 * Whether output gets ANSI colour, decided once for the whole command line.
 * NO_COLOR (https://no-color.org: present and not empty) always wins; otherwise
 * FORCE_COLOR forces colour, also when output is not a terminal (FORCE_COLOR=0 or
 * false turns it off); otherwise colour only on a terminal that is not TERM=dumb.
 */
export type Env = Record<string, string | undefined>;

export function colorEnabled(env: Env, isTTY: boolean | undefined): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force.toLowerCase() !== 'false';
  return isTTY === true && env.TERM !== 'dumb';
}

export interface Painter {
  readonly enabled: boolean;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

export function painter(enabled: boolean): Painter {
  const sgr = (code: string) => (text: string) => (enabled ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { enabled, green: sgr('32'), red: sgr('31'), yellow: sgr('33'), bold: sgr('1'), dim: sgr('2') };
}
