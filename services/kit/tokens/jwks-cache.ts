/**
 * The verifier's view of the token service's public keys. Keys come only from
 * the injected fetcher (an mTLS call to the token service); nothing a token
 * says (jku, x5u, an embedded jwk) ever causes a fetch or names a key.
 */
import { importJWK, type CryptoKey, type JWK } from 'jose';
import { systemClock, type Clock } from '../clock.ts';

/** A JWK Set with the mesh's extra top-level `revoked` member (RFC 7517 §5 allows extra members). */
export interface JwksDocument {
  keys: JWK[];
  revoked?: string[];
}

export type FetchJwks = () => Promise<JwksDocument>;

export interface JwksCacheOptions {
  fetchJwks: FetchJwks;
  clock?: Clock;
  /** A lookup after this long since the last good fetch refreshes first. */
  refreshIntervalMs?: number;
  /** Minimum gap between fetches triggered by unknown kids after a fetch that succeeded. */
  unknownKidCooldownMs?: number;
  /**
   * Minimum gap before an unknown kid may retry a fetch that failed. A failed fetch says nothing
   * about the kid, so waiting the whole cool-down would refuse a restarted token service's new
   * keys for that long; the gap still bounds fetches while the token service is down.
   */
  failureRetryMs?: number;
  /** Keys older than this are dropped when the token service can't be reached (fail closed). */
  maxStaleMs?: number;
}

export type KeyLookup = { status: 'found'; kid: string; alg: string; key: CryptoKey; version: number } | { status: 'revoked' } | { status: 'unknown' };

/** While the token service is unreachable, unknown kids cost at most one fetch per this gap. */
export const DEFAULT_FAILURE_RETRY_MS = 250;

/** kid syntax the mesh accepts; anything else (e.g. "../../x") is unknown without a lookup. */
export const KID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

interface Entry {
  kid: string;
  alg: string;
  key: CryptoKey;
  material: string;
}

export interface JwksCacheStats {
  fetches: number;
  failures: number;
  lastError?: string;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a non-negative finite number, got ${String(value)}`);
  return value;
}

/** Infers the one algorithm a verification key may be used with. */
function algFor(jwk: JWK): string | undefined {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return jwk.alg === undefined || jwk.alg === 'ES256' ? 'ES256' : undefined;
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return jwk.alg === undefined || jwk.alg === 'EdDSA' ? 'EdDSA' : undefined;
  // Symmetric and other key types are never used: an "oct" key is how HS256 key confusion starts.
  return undefined;
}

export class JwksCache {
  readonly #fetch: FetchJwks;
  readonly #clock: Clock;
  readonly #refreshIntervalMs: number;
  readonly #cooldownMs: number;
  readonly #failureRetryMs: number;
  readonly #maxStaleMs: number;
  #keys = new Map<string, Entry>();
  #revoked = new Set<string>();
  #fingerprint = '';
  #version = 0;
  #loadedAt: number | undefined;
  #lastAttemptFailedAt: number | undefined;
  #lastUnknownKidFetchAt: number | undefined;
  #inFlight: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stats: JwksCacheStats = { fetches: 0, failures: 0 };

  constructor(options: JwksCacheOptions) {
    if (typeof options?.fetchJwks !== 'function') throw new TypeError('JwksCache: fetchJwks must be a function returning a JWK Set');
    this.#fetch = options.fetchJwks;
    this.#clock = options.clock ?? systemClock;
    this.#refreshIntervalMs = positive('refreshIntervalMs', options.refreshIntervalMs, 30_000);
    this.#cooldownMs = positive('unknownKidCooldownMs', options.unknownKidCooldownMs, 5_000);
    this.#failureRetryMs = Math.min(this.#cooldownMs, positive('failureRetryMs', options.failureRetryMs, DEFAULT_FAILURE_RETRY_MS));
    this.#maxStaleMs = positive('maxStaleMs', options.maxStaleMs, 300_000);
    if (this.#maxStaleMs < this.#refreshIntervalMs) throw new TypeError(`maxStaleMs (${this.#maxStaleMs}) must be at least refreshIntervalMs (${this.#refreshIntervalMs})`);
  }

  /** Changes whenever the set of keys or revoked kids changes; per-connection caches key on it. */
  get version(): number {
    return this.#version;
  }

  get size(): number {
    return this.#keys.size;
  }

  get stats(): Readonly<JwksCacheStats> {
    return { ...this.#stats };
  }

  kids(): string[] {
    return [...this.#keys.keys()];
  }

  isRevoked(kid: string): boolean {
    return this.#revoked.has(kid);
  }

  async lookup(kid: string): Promise<KeyLookup> {
    if (!KID_PATTERN.test(kid)) return { status: 'unknown' };
    const now = this.#clock.now();
    if (this.#isDue(now)) await this.#tryRefresh();
    let found = this.#find(kid);
    if (found.status === 'unknown' && this.#mayFetchForUnknown(now)) {
      // Bounded: an attacker cycling random kids costs at most one fetch per cool-down.
      this.#lastUnknownKidFetchAt = now;
      await this.#tryRefresh();
      found = this.#find(kid);
    }
    return found;
  }

  /** Fetches now (push from the token service after a rotation or revocation). Rejects if the fetch fails. */
  refresh(): Promise<void> {
    this.#inFlight ??= this.#load().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  /** Refreshes on a real-time interval so the version moves even while every request hits a connection cache. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.#tryRefresh(), Math.max(1_000, this.#refreshIntervalMs));
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #find(kid: string): KeyLookup {
    if (this.#revoked.has(kid)) return { status: 'revoked' };
    const entry = this.#keys.get(kid);
    return entry ? { status: 'found', kid, alg: entry.alg, key: entry.key, version: this.#version } : { status: 'unknown' };
  }

  #isDue(now: number): boolean {
    if (this.#lastAttemptFailedAt !== undefined && now - this.#lastAttemptFailedAt < this.#cooldownMs) return false;
    return this.#loadedAt === undefined || now - this.#loadedAt >= this.#refreshIntervalMs;
  }

  #mayFetchForUnknown(now: number): boolean {
    if (this.#lastAttemptFailedAt !== undefined) return now - this.#lastAttemptFailedAt >= this.#failureRetryMs;
    return this.#lastUnknownKidFetchAt === undefined || now - this.#lastUnknownKidFetchAt >= this.#cooldownMs;
  }

  async #tryRefresh(): Promise<void> {
    try {
      await this.refresh();
    } catch {
      // Recorded in stats; lookups carry on with what they have, within maxStaleMs.
    }
  }

  async #load(): Promise<void> {
    this.#stats.fetches++;
    let doc: unknown;
    try {
      doc = await this.#fetch();
      const { entries, revoked } = await this.#importDocument(doc);
      this.#apply(entries, revoked);
      this.#loadedAt = this.#clock.now();
      this.#lastAttemptFailedAt = undefined;
    } catch (err) {
      const now = this.#clock.now();
      this.#stats.failures++;
      this.#stats.lastError = err instanceof Error ? err.message : String(err);
      this.#lastAttemptFailedAt = now;
      if (this.#loadedAt !== undefined && now - this.#loadedAt > this.#maxStaleMs) this.#apply(new Map(), new Set(this.#revoked));
      throw err;
    }
  }

  async #importDocument(doc: unknown): Promise<{ entries: Map<string, Entry>; revoked: Set<string> }> {
    if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as JwksDocument).keys)) throw new Error('JWKS document has no keys array');
    const { keys, revoked: revokedList } = doc as JwksDocument;
    if (revokedList !== undefined && (!Array.isArray(revokedList) || revokedList.some((k) => typeof k !== 'string'))) throw new Error('JWKS revoked member must be an array of kids');
    const revoked = new Set(revokedList ?? []);
    const seen = new Map<string, number>();
    for (const jwk of keys) if (typeof jwk?.kid === 'string') seen.set(jwk.kid, (seen.get(jwk.kid) ?? 0) + 1);
    const entries = new Map<string, Entry>();
    for (const jwk of keys) {
      if (typeof jwk !== 'object' || jwk === null) continue;
      const kid = jwk.kid;
      // A kid published twice is ambiguous; neither copy is used.
      if (typeof kid !== 'string' || !KID_PATTERN.test(kid) || seen.get(kid) !== 1) continue;
      if ('d' in jwk || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
      if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) continue;
      const alg = algFor(jwk);
      if (!alg) continue;
      const material = `${jwk.kty}|${jwk.crv}|${jwk.x}|${jwk.y ?? ''}`;
      const known = this.#keys.get(kid);
      if (known && known.material === material && known.alg === alg) {
        entries.set(kid, known);
        continue;
      }
      const { kty, crv, x, y } = jwk;
      const key = await importJWK(y === undefined ? { kty, crv, x } : { kty, crv, x, y }, alg);
      if (key instanceof Uint8Array) continue;
      entries.set(kid, { kid, alg, key, material });
    }
    return { entries, revoked };
  }

  #apply(entries: Map<string, Entry>, revoked: Set<string>): void {
    const fingerprint = JSON.stringify([[...entries.values()].map((e) => `${e.kid}|${e.alg}|${e.material}`).sort(), [...revoked].sort()]);
    this.#keys = entries;
    this.#revoked = revoked;
    if (fingerprint !== this.#fingerprint) {
      this.#fingerprint = fingerprint;
      this.#version++;
    }
  }
}
