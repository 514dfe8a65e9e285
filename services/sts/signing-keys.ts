/**
 * The token service's signing keys. Each key goes next (published, not yet
 * signing, so verifiers learn it before the first token) → current (signing)
 * → retired (published until every token it signed has expired) → removed.
 * A revoked key is removed at once and listed in the JWKS `revoked` member.
 * Private keys are non-extractable CryptoKeys held in private fields, except
 * in the misconfiguration that backs them up (`extractable`, then `backup()`).
 */
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { systemClock, type Clock } from '../kit/clock.ts';
import type { JwksDocument } from '../kit/tokens/jwks-cache.ts';

export const SIGNING_ALGS = ['ES256', 'EdDSA'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];
export type KeyState = 'next' | 'current' | 'retired';

export interface SigningKeysOptions {
  clock?: Clock;
  alg?: SigningAlg;
  /** How long a key signs before tick() rotates it (default 1 h). */
  rotateEveryMs?: number;
  /** The longest lifetime of any token this service issues; retired keys stay published this long (plus skew). */
  maxTokenLifetimeSeconds?: number;
  skewSeconds?: number;
  /** Generate private keys that can be exported: only for the unsafe signing-key backup. */
  extractable?: boolean;
}

/** The private keys as a careless backup holds them (what a thief of that backup signs with). */
export interface SigningKeyBackup {
  alg: SigningAlg;
  keys: Array<{ kid: string; state: KeyState; privateJwk: JWK }>;
}

export interface KeyInfo {
  kid: string;
  alg: SigningAlg;
  state: KeyState;
  createdAt: string;
  activatedAt?: string;
  retiredAt?: string;
}

export interface PublicJwk extends JWK {
  kid: string;
  alg: SigningAlg;
  use: 'sig';
}

export interface PublishedJwks extends JwksDocument {
  keys: PublicJwk[];
  revoked: string[];
}

export interface RotationResult {
  retired: string;
  current: string;
  next: string;
}

export interface RevocationResult {
  revoked: string;
  wasState: KeyState;
  current: string;
  next: string;
}

interface KeyRecord {
  kid: string;
  state: KeyState;
  privateKey: CryptoKey;
  publicJwk: PublicJwk;
  createdAt: number;
  activatedAt?: number;
  retiredAt?: number;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`SigningKeys: ${name} must be a positive number, got ${String(value)}`);
  return value;
}

export class SigningKeys {
  readonly alg: SigningAlg;
  readonly maxTokenLifetimeSeconds: number;
  readonly #clock: Clock;
  readonly #rotateEveryMs: number;
  readonly #retainMs: number;
  #keys: KeyRecord[] = [];
  #revoked = new Map<string, number>();
  #generation = 0;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #extractable: boolean;
  readonly #changeListeners = new Set<() => void>();

  private constructor(options: SigningKeysOptions) {
    const alg = options.alg ?? 'ES256';
    if (!(SIGNING_ALGS as readonly string[]).includes(alg)) throw new TypeError(`SigningKeys: alg must be one of ${SIGNING_ALGS.join(', ')}, got ${String(alg)}`);
    this.alg = alg;
    this.#clock = options.clock ?? systemClock;
    this.#rotateEveryMs = nonNegative('rotateEveryMs', options.rotateEveryMs, 3_600_000);
    this.maxTokenLifetimeSeconds = nonNegative('maxTokenLifetimeSeconds', options.maxTokenLifetimeSeconds, 300);
    const skew = options.skewSeconds ?? 5;
    if (!Number.isFinite(skew) || skew < 0) throw new TypeError(`SigningKeys: skewSeconds must be a non-negative number, got ${String(skew)}`);
    this.#retainMs = (this.maxTokenLifetimeSeconds + skew) * 1000;
    this.#extractable = options.extractable === true;
  }

  /** The keys of a backup, as its thief holds them: they sign exactly as the token service's own. */
  static async fromBackup(backup: SigningKeyBackup): Promise<SigningKeys> {
    if (!backup || !(SIGNING_ALGS as readonly string[]).includes(backup.alg) || !Array.isArray(backup.keys) || !backup.keys.some((k) => k.state === 'current')) throw new TypeError('SigningKeys.fromBackup: not a signing-key backup (alg, and keys with a current one)');
    const keys = new SigningKeys({ alg: backup.alg });
    for (const k of backup.keys) {
      const privateKey = (await importJWK(k.privateJwk, backup.alg)) as CryptoKey;
      const { d: _d, ...pub } = k.privateJwk;
      keys.#keys.push({ kid: k.kid, state: k.state, privateKey, publicJwk: { ...pub, kid: k.kid, alg: backup.alg, use: 'sig' } as PublicJwk, createdAt: keys.#clock.now() });
    }
    return keys;
  }

  /** Every private key, exported (refused unless the keys were made extractable). */
  async backup(): Promise<SigningKeyBackup> {
    if (!this.#extractable) throw new Error('SigningKeys.backup: the keys are not extractable');
    return { alg: this.alg, keys: await Promise.all(this.#keys.map(async (k) => ({ kid: k.kid, state: k.state, privateJwk: await exportJWK(k.privateKey) }))) };
  }

  /** Called after every change of the key set (rotation, revocation, removal). */
  onChange(listener: () => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /** A key set with a current and a next key. */
  static async create(options: SigningKeysOptions = {}): Promise<SigningKeys> {
    const keys = new SigningKeys(options);
    const current = await keys.#generate('current');
    current.activatedAt = current.createdAt;
    keys.#keys.push(current, await keys.#generate('next'));
    return keys;
  }

  /** Moves on every change of the published set. */
  get generation(): number {
    return this.#generation;
  }

  get currentKid(): string {
    return this.#current().kid;
  }

  list(): KeyInfo[] {
    return this.#keys.map((k) => {
      const info: KeyInfo = { kid: k.kid, alg: this.alg, state: k.state, createdAt: new Date(k.createdAt).toISOString() };
      if (k.activatedAt !== undefined) info.activatedAt = new Date(k.activatedAt).toISOString();
      if (k.retiredAt !== undefined) info.retiredAt = new Date(k.retiredAt).toISOString();
      return info;
    });
  }

  /** The public JWK Set served at /.well-known/jwks.json. */
  jwks(): PublishedJwks {
    return { keys: this.#keys.map((k) => ({ ...k.publicJwk })), revoked: [...this.#revoked.keys()] };
  }

  has(kid: string): boolean {
    return this.#keys.some((k) => k.kid === kid);
  }

  /** Signs with the current key; the header gets alg, kid and typ. */
  async sign(payload: JWTPayload, typ: string): Promise<{ token: string; kid: string }> {
    const key = this.#current();
    const token = await new SignJWT(payload).setProtectedHeader({ alg: this.alg, kid: key.kid, typ }).sign(key.privateKey);
    return { token, kid: key.kid };
  }

  /** current → retired, next → current, a new next. */
  rotate(): Promise<RotationResult> {
    return this.#serial(() => this.#rotate());
  }

  /** Rotates when the current key has signed for rotateEveryMs; drops retired keys and revocations past retention. */
  tick(): Promise<{ rotated?: RotationResult; removed: string[] }> {
    return this.#serial(async () => {
      const now = this.#clock.now();
      let rotated: RotationResult | undefined;
      if (now - (this.#current().activatedAt ?? 0) >= this.#rotateEveryMs) rotated = await this.#rotate();
      const removed = this.#keys.filter((k) => k.state === 'retired' && now - (k.retiredAt ?? now) >= this.#retainMs).map((k) => k.kid);
      if (removed.length > 0) {
        this.#keys = this.#keys.filter((k) => !removed.includes(k.kid));
        this.#changed();
      }
      // Tokens a revoked key signed have all expired by now; verifiers will see the kid as unknown.
      for (const [kid, at] of this.#revoked) {
        if (now - at >= this.#retainMs) {
          this.#revoked.delete(kid);
          this.#changed();
        }
      }
      return rotated ? { rotated, removed } : { removed };
    });
  }

  /** Removes a key at once and lists its kid as revoked; a revoked current or next key is replaced. Undefined if the kid is not published. */
  revoke(kid: string): Promise<RevocationResult | undefined> {
    if (typeof kid !== 'string') throw new TypeError('SigningKeys.revoke: kid must be a string');
    return this.#serial(async () => {
      const record = this.#keys.find((k) => k.kid === kid);
      if (!record) return undefined;
      this.#keys = this.#keys.filter((k) => k !== record);
      this.#revoked.set(kid, this.#clock.now());
      if (record.state === 'current') {
        const next = this.#keys.find((k) => k.state === 'next');
        if (next) {
          next.state = 'current';
          next.activatedAt = this.#clock.now();
          this.#keys.push(await this.#generate('next'));
        } else {
          const fresh = await this.#generate('current');
          fresh.activatedAt = fresh.createdAt;
          this.#keys.push(fresh, await this.#generate('next'));
        }
      } else if (record.state === 'next') {
        this.#keys.push(await this.#generate('next'));
      }
      this.#changed();
      return { revoked: kid, wasState: record.state, current: this.#current().kid, next: this.#next().kid };
    });
  }

  async #rotate(): Promise<RotationResult> {
    const now = this.#clock.now();
    const current = this.#current();
    const next = this.#next();
    current.state = 'retired';
    current.retiredAt = now;
    next.state = 'current';
    next.activatedAt = now;
    const fresh = await this.#generate('next');
    this.#keys.push(fresh);
    this.#changed();
    return { retired: current.kid, current: next.kid, next: fresh.kid };
  }

  #changed(): void {
    this.#generation++;
    for (const listener of this.#changeListeners) listener();
  }

  #current(): KeyRecord {
    const k = this.#keys.find((r) => r.state === 'current');
    if (!k) throw new Error('SigningKeys: no current key');
    return k;
  }

  #next(): KeyRecord {
    const k = this.#keys.find((r) => r.state === 'next');
    if (!k) throw new Error('SigningKeys: no next key');
    return k;
  }

  async #generate(state: KeyState): Promise<KeyRecord> {
    const { privateKey, publicKey } = this.alg === 'EdDSA' ? await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: this.#extractable }) : await generateKeyPair('ES256', { extractable: this.#extractable });
    const kid = randomBytes(12).toString('base64url');
    const { kty, crv, x, y } = await exportJWK(publicKey);
    const publicJwk: PublicJwk = y === undefined ? { kty, crv, x, kid, alg: this.alg, use: 'sig' } : { kty, crv, x, y, kid, alg: this.alg, use: 'sig' };
    return { kid, state, privateKey, publicJwk, createdAt: this.#clock.now() };
  }

  /** Key changes run one at a time so a rotate and a revoke can't interleave. */
  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
