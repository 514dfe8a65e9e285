import { colorEnabled } from './color.ts';

/** Where a command writes: injectable so tests run commands in process. */
export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether standard output gets ANSI colour (NO_COLOR, FORCE_COLOR, a terminal); none when absent. */
  readonly color?: boolean;
}

export const processIo: CommandIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  get color() {
    return colorEnabled(process.env, process.stdout.isTTY);
  },
};
