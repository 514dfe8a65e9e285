/**
 * Reads what a service logged since a mark: scenarios take a mark before they
 * inject and look for their audit line after it, so old lines never count.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { pollUntil } from './poll.ts';

export interface LogLine {
  file: string;
  line: number;
  entry: Record<string, unknown>;
}

export class LogCursor {
  readonly file: string;
  #offset: number;
  #lineBase: number;

  constructor(file: string) {
    this.file = file;
    this.#offset = existsSync(file) ? statSync(file).size : 0;
    this.#lineBase = existsSync(file) ? readFileSync(file, 'utf8').slice(0, this.#offset).split('\n').length - 1 : 0;
  }

  /** Every JSON line written since the mark. */
  lines(): LogLine[] {
    if (!existsSync(this.file)) return [];
    const text = readFileSync(this.file).subarray(this.#offset).toString('utf8');
    const out: LogLine[] = [];
    text.split('\n').forEach((raw, i) => {
      if (!raw.trim()) return;
      try {
        out.push({ file: this.file, line: this.#lineBase + i + 1, entry: JSON.parse(raw) as Record<string, unknown> });
      } catch {
        // A partial line at the end is read next time.
      }
    });
    return out;
  }

  /** Waits (bounded) for a line that matches. */
  waitFor(match: (entry: Record<string, unknown>) => boolean, timeoutMs = 3000): Promise<LogLine | undefined> {
    return pollUntil(() => this.lines().find((l) => match(l.entry)), (hit) => hit !== undefined, timeoutMs);
  }
}
