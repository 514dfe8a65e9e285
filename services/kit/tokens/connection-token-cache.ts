/**
 * Access tokens already verified on one TLS connection. A keep-alive
 * connection presents the same token on every request; re-verifying costs a
 * signature check (~250 µs), a hit costs a map lookup. Entries are bound to the
 * connection's certificate thumbprint, to the verifier that accepted them and
 * to the JWKS version, and die at the token's exp (or max age).
 */
import type { AccessTokenClaims } from './claims.ts';

export interface CachedToken {
  claims: AccessTokenClaims;
  kid: string;
  thumbprint: string;
  jwksVersion: number;
  validUntilMs: number;
  owner: object;
}

export const DEFAULT_CONNECTION_CACHE_ENTRIES = 8;

export class ConnectionTokenCache {
  readonly #max: number;
  #entries = new Map<string, CachedToken>();

  constructor(maxEntries = DEFAULT_CONNECTION_CACHE_ENTRIES) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new TypeError(`maxEntries must be a positive integer, got ${String(maxEntries)}`);
    this.#max = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** A still-valid entry for exactly this token, thumbprint, verifier and key set; stale entries are dropped. */
  get(token: string, owner: object, thumbprint: string, jwksVersion: number, nowMs: number): CachedToken | undefined {
    const entry = this.#entries.get(token);
    if (!entry) return undefined;
    if (entry.owner !== owner || entry.thumbprint !== thumbprint || entry.jwksVersion !== jwksVersion || nowMs >= entry.validUntilMs) {
      this.#entries.delete(token);
      return undefined;
    }
    return entry;
  }

  set(token: string, entry: CachedToken): void {
    this.#entries.delete(token);
    if (this.#entries.size >= this.#max) {
      // Oldest first: a connection normally carries one token at a time.
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(token, entry);
  }

  clear(): void {
    this.#entries.clear();
  }
}

const perSocket = new WeakMap<object, ConnectionTokenCache>();

/** The cache attached to a connection (e.g. a TLSSocket); created on first use, collected with the socket. */
export function connectionTokenCacheFor(socket: object): ConnectionTokenCache {
  if (typeof socket !== 'object' || socket === null) throw new TypeError('connectionTokenCacheFor: socket must be an object');
  let cache = perSocket.get(socket);
  if (!cache) {
    cache = new ConnectionTokenCache();
    perSocket.set(socket, cache);
  }
  return cache;
}
