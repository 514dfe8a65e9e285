import { ERROR_CODES, MeshgateError } from '../errors.ts';

/** A mistake in how meshgate was called: exit code 2 with a message that names the wrong part. */
export class UsageError extends MeshgateError {
  constructor(message: string) {
    super(ERROR_CODES.usage, message);
    this.name = 'UsageError';
  }
}

/** Parses durations such as 90s, 5m, 2h, 1d (or plain seconds). */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+)(s|m|h|d)?$/.exec(value.trim());
  if (!m) throw new UsageError(`${flag}: "${value}" is not a duration (use e.g. 90s, 5m, 2h)`);
  const n = Number(m[1]);
  const seconds = n * ({ s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's'] ?? 1);
  if (seconds <= 0) throw new UsageError(`${flag}: duration must be positive`);
  return seconds;
}

export function parseDate(value: string, flag: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new UsageError(`${flag}: "${value}" is not an ISO 8601 date`);
  return d;
}
