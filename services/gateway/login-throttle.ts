/**
 * Slows password guessing at POST /login. Only failed attempts count: per user
 * (reset by a successful login) and per client address (never reset by a
 * success, so one's own account does not clear the count). Past the free
 * failures each further failure doubles the wait, up to a ceiling; a quiet
 * period forgets the count. Memory is bounded.
 */
import { systemClock, type Clock } from '../kit/clock.ts';

export interface LoginThrottleOptions {
  /** Failed logins of one user before the back-off starts. */
  userFailures: number;
  /** Failed logins from one client address before the back-off starts. */
  clientFailures: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A key with no failure for this long starts afresh. */
  forgetAfterMs?: number;
  maxEntries?: number;
  clock?: Clock;
}

export type ThrottleVerdict = { ok: true } | { ok: false; scope: 'user' | 'client'; retryAfterSeconds: number };

interface Record {
  failures: number;
  lastFailureAt: number;
  blockedUntil: number;
}

export class LoginThrottle {
  readonly #options: Required<Omit<LoginThrottleOptions, 'clock'>>;
  readonly #clock: Clock;
  readonly #entries = new Map<string, Record>();

  constructor(options: LoginThrottleOptions) {
    const problems: string[] = [];
    for (const key of ['userFailures', 'clientFailures'] as const) if (!Number.isInteger(options?.[key]) || options[key] < 1) problems.push(`${key} must be a positive integer (got ${String(options?.[key])})`);
    if (problems.length) throw new TypeError(`LoginThrottle: ${problems.join('; ')}`);
    this.#options = { baseDelayMs: 1_000, maxDelayMs: 15 * 60_000, forgetAfterMs: 15 * 60_000, maxEntries: 10_000, ...options };
    this.#clock = options.clock ?? systemClock;
  }

  /** Whether a login for this user from this client may be tried now. */
  check(user: string, client: string): ThrottleVerdict {
    const now = this.#clock.now();
    for (const [scope, key] of [['user', `u:${user}`], ['client', `c:${client}`]] as const) {
      const entry = this.#live(key, now);
      if (entry && entry.blockedUntil > now) return { ok: false, scope, retryAfterSeconds: Math.ceil((entry.blockedUntil - now) / 1000) };
    }
    return { ok: true };
  }

  recordFailure(user: string, client: string): void {
    const now = this.#clock.now();
    this.#fail(`u:${user}`, this.#options.userFailures, now);
    this.#fail(`c:${client}`, this.#options.clientFailures, now);
  }

  recordSuccess(user: string): void {
    this.#entries.delete(`u:${user}`);
  }

  #live(key: string, now: number): Record | undefined {
    const entry = this.#entries.get(key);
    if (entry && now - entry.lastFailureAt > this.#options.forgetAfterMs && entry.blockedUntil <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #fail(key: string, free: number, now: number): void {
    const entry = this.#live(key, now) ?? { failures: 0, lastFailureAt: now, blockedUntil: 0 };
    entry.failures += 1;
    entry.lastFailureAt = now;
    if (entry.failures >= free) {
      const doublings = Math.min(entry.failures - free, 30);
      entry.blockedUntil = now + Math.min(this.#options.maxDelayMs, this.#options.baseDelayMs * 2 ** doublings);
    }
    this.#entries.delete(key); // re-insert: the map's order is the eviction order
    this.#entries.set(key, entry);
    if (this.#entries.size > this.#options.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }
}
