/**
 * Remembers transaction token ids until the tokens expire, so each service
 * accepts a given token at most once. Memory is bounded; when every slot holds
 * a live token the cache refuses new ones (fail closed) rather than forget.
 */
import { systemClock, type Clock } from '../clock.ts';

export interface ReplayCacheOptions {
  maxEntries: number;
  clock?: Clock;
  /** Extra lifetime beyond exp, matching the verifier's clock skew. */
  graceMs?: number;
  /** Turned off only by mutation tests. */
  enabled?: boolean;
}

export type ReplayVerdict = { ok: true } | { ok: false; reason: 'token_replayed' | 'replay_cache_full' };

export class ReplayCache {
  readonly enabled: boolean;
  readonly #max: number;
  readonly #clock: Clock;
  readonly #graceMs: number;
  #seen = new Map<string, number>();
  /** Earliest forget-time among entries; a sweep before then would find nothing. */
  #nextExpiry = Infinity;

  constructor(options: ReplayCacheOptions) {
    const max = options?.maxEntries;
    if (!Number.isInteger(max) || max < 1) throw new TypeError(`ReplayCache: maxEntries must be a positive integer, got ${String(max)}`);
    const grace = options.graceMs ?? 5_000;
    if (!Number.isFinite(grace) || grace < 0) throw new TypeError(`ReplayCache: graceMs must be a non-negative number, got ${String(grace)}`);
    this.#max = max;
    this.#clock = options.clock ?? systemClock;
    this.#graceMs = grace;
    this.enabled = options.enabled ?? true;
  }

  get size(): number {
    return this.#seen.size;
  }

  get capacity(): number {
    return this.#max;
  }

  /** Records jti; refuses it if it was seen before and has not expired. */
  accept(jti: string, expiresAtMs: number): ReplayVerdict {
    if (typeof jti !== 'string' || jti === '') throw new TypeError('ReplayCache.accept: jti must be a non-empty string');
    if (!Number.isFinite(expiresAtMs)) throw new TypeError('ReplayCache.accept: expiresAtMs must be a finite number');
    if (!this.enabled) return { ok: true };
    const now = this.#clock.now();
    const known = this.#seen.get(jti);
    if (known !== undefined && known > now) return { ok: false, reason: 'token_replayed' };
    if (known !== undefined) this.#seen.delete(jti);
    if (this.#seen.size >= this.#max) {
      this.#sweep(now);
      if (this.#seen.size >= this.#max) return { ok: false, reason: 'replay_cache_full' };
    }
    const forgetAt = expiresAtMs + this.#graceMs;
    this.#seen.set(jti, forgetAt);
    if (forgetAt < this.#nextExpiry) this.#nextExpiry = forgetAt;
    return { ok: true };
  }

  /** Gives back the slot of a token whose request was refused before it did anything. */
  release(jti: string): void {
    this.#seen.delete(jti);
  }

  #sweep(now: number): void {
    if (now < this.#nextExpiry) return;
    let next = Infinity;
    for (const [jti, forgetAt] of this.#seen) {
      if (forgetAt <= now) this.#seen.delete(jti);
      else if (forgetAt < next) next = forgetAt;
    }
    this.#nextExpiry = next;
  }
}
