/**
 * A caller's access tokens, one per audience, renewed before they expire.
 * Concurrent requests for the same audience share one fetch.
 */
import { systemClock, type Clock } from '../clock.ts';

/** The RFC 6749 success body fields the cache needs. */
export interface IssuedAccessToken {
  access_token: string;
  expires_in: number;
}

export type RequestToken = (audience: string) => Promise<IssuedAccessToken>;

export interface AccessTokenCacheOptions {
  requestToken: RequestToken;
  clock?: Clock;
  /** Fraction of the lifetime after which a token is renewed (default 0.8). */
  renewAt?: number;
}

interface Held {
  token: string;
  renewAtMs: number;
  expiresAtMs: number;
}

export class AccessTokenCache {
  readonly #request: RequestToken;
  readonly #clock: Clock;
  readonly #renewAt: number;
  #held = new Map<string, Held>();
  #pending = new Map<string, Promise<Held>>();

  constructor(options: AccessTokenCacheOptions) {
    if (typeof options?.requestToken !== 'function') throw new TypeError('AccessTokenCache: requestToken must be a function');
    const renewAt = options.renewAt ?? 0.8;
    if (!(renewAt > 0 && renewAt < 1)) throw new TypeError(`AccessTokenCache: renewAt must be between 0 and 1 exclusive, got ${String(renewAt)}`);
    this.#request = options.requestToken;
    this.#clock = options.clock ?? systemClock;
    this.#renewAt = renewAt;
  }

  get size(): number {
    return this.#held.size;
  }

  /** A token for the audience: the held one until its renewal point, else a fresh one. */
  async get(audience: string): Promise<string> {
    if (typeof audience !== 'string' || audience === '') throw new TypeError('AccessTokenCache.get: audience must be a non-empty string');
    const now = this.#clock.now();
    const held = this.#held.get(audience);
    if (held && now < held.renewAtMs) return held.token;
    try {
      return (await this.#fetch(audience)).token;
    } catch (err) {
      // A failed renewal may still use a token that has not expired yet.
      if (held && this.#clock.now() < held.expiresAtMs) return held.token;
      throw err;
    }
  }

  /** Drops the held token, e.g. after the callee refused it (key revoked). */
  invalidate(audience: string): void {
    this.#held.delete(audience);
  }

  /** Drops every held token: after the caller's own certificate rotated, tokens bound to the old one are useless. */
  clear(): void {
    this.#held.clear();
    this.#pending.clear();
  }

  #fetch(audience: string): Promise<Held> {
    let pending = this.#pending.get(audience);
    if (!pending) {
      pending = this.#fetchOnce(audience).finally(() => this.#pending.delete(audience));
      this.#pending.set(audience, pending);
    }
    return pending;
  }

  async #fetchOnce(audience: string): Promise<Held> {
    const startedAt = this.#clock.now();
    const issued = await this.#request(audience);
    if (typeof issued?.access_token !== 'string' || issued.access_token === '') throw new Error('token response has no access_token');
    if (typeof issued.expires_in !== 'number' || !(issued.expires_in > 0)) throw new Error('token response has no positive expires_in');
    // Lifetime counted from the request start, so network time only shortens it.
    const lifetimeMs = issued.expires_in * 1000;
    const held: Held = { token: issued.access_token, renewAtMs: startedAt + lifetimeMs * this.#renewAt, expiresAtMs: startedAt + lifetimeMs };
    this.#held.set(audience, held);
    return held;
  }
}
