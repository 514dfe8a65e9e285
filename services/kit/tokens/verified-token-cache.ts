/**
 * Access tokens one verifier has already accepted, across connections. A
 * caller that reconnects presents the token it holds on the new connection;
 * a hit skips the signature and every claim check, which cannot change before
 * the entry dies: at the token's exp (or max age), or as soon as the key set
 * changes (a rotation or a revocation moves the JWKS version). Keys are the
 * token's SHA-256, so the cache holds no bearer token. The binding to the
 * connection's certificate is checked again on every hit by the verifier.
 */
import { createHash } from 'node:crypto';
import type { AccessTokenClaims } from './claims.ts';

export interface VerifiedToken {
  claims: AccessTokenClaims;
  kid: string;
  jwksVersion: number;
  validUntilMs: number;
}

export const DEFAULT_VERIFIED_TOKEN_ENTRIES = 4096;

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export class VerifiedTokenCache {
  readonly #max: number;
  #entries = new Map<string, VerifiedToken>();

  constructor(maxEntries = DEFAULT_VERIFIED_TOKEN_ENTRIES) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new TypeError(`maxEntries must be a positive integer, got ${String(maxEntries)}`);
    this.#max = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** A still-valid entry for this digest under this key set; a stale one is dropped. */
  get(digest: string, jwksVersion: number, nowMs: number): VerifiedToken | undefined {
    const entry = this.#entries.get(digest);
    if (!entry) return undefined;
    if (entry.jwksVersion !== jwksVersion || nowMs >= entry.validUntilMs) {
      this.#entries.delete(digest);
      return undefined;
    }
    return entry;
  }

  set(digest: string, entry: VerifiedToken): void {
    this.#entries.delete(digest);
    // Bounded: the oldest entry goes first (Map keeps insertion order).
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(digest, entry);
  }
}
