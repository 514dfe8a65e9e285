/**
 * A token bucket per caller identity: a compromised hop reading the book in a
 * loop is stopped (429 rate_limited) while ordinary use never meets the limit.
 */
import { systemClock, type Clock } from '../kit/clock.ts';

export type RateVerdict = { ok: true } | { ok: false; retryAfterSeconds: number };

export class CallerRateLimit {
  readonly #perSecond: number;
  readonly #burst: number;
  readonly #clock: Clock;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(perSecond: number, clock: Clock = systemClock) {
    if (!Number.isFinite(perSecond) || perSecond <= 0) throw new TypeError(`CallerRateLimit: perSecond must be a positive number (got ${String(perSecond)})`);
    this.#perSecond = perSecond;
    this.#burst = Math.max(1, Math.ceil(perSecond * 2));
    this.#clock = clock;
  }

  take(caller: string): RateVerdict {
    const now = this.#clock.now();
    const bucket = this.#buckets.get(caller) ?? { tokens: this.#burst, at: now };
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) / 1000) * this.#perSecond);
    bucket.at = now;
    this.#buckets.set(caller, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.ceil((1 - bucket.tokens) / this.#perSecond) };
  }
}
