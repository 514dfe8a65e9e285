/**
 * The key-management workload's wrapping keys: numbered versions, one current
 * (new data keys are wrapped with it), older ones active (they still unwrap
 * until the operator revokes them) or revoked (they never unwrap again). The
 * ring lives in one 0600 file that only kms reads; every change is written
 * before it is answered, so a restart keeps the versions and the revocations.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { canonicalJson } from '../kit/pep/canonical-json.ts';
import type { KmsReason } from '../kit/reasons.ts';
import { WRAPPED_KEY_PATTERN, type KeyContext } from '../kit/e2ee/envelope.ts';
import type { Clock } from '../kit/clock.ts';

export interface KeyVersionInfo {
  version: number;
  state: 'current' | 'active' | 'revoked';
  createdAt: string;
  revokedAt?: string;
}

interface StoredVersion {
  version: number;
  key: string;
  createdAt: string;
  revokedAt?: string;
}

export type UnwrapResult = { ok: true; dataKey: Buffer; version: number } | { ok: false; reason: KmsReason; version?: number; detail: string };

const DATA_KEY_BYTES = 32;

function additionalData(version: number, context: KeyContext): Buffer {
  return Buffer.from(`meshgate-kms/v${version}/${canonicalJson(context)}`);
}

export class WrappingKeys {
  readonly #path: string;
  readonly #clock: Clock;
  #versions: StoredVersion[];

  private constructor(path: string, clock: Clock, versions: StoredVersion[]) {
    this.#path = path;
    this.#clock = clock;
    this.#versions = versions;
  }

  /** Reads the ring, or creates it with version 1; a damaged file is an error naming it, never a silent new ring. */
  static loadOrCreate(path: string, clock: Clock): WrappingKeys {
    if (!existsSync(path)) {
      const ring = new WrappingKeys(path, clock, []);
      ring.#add();
      return ring;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new Error(`${path}: the wrapping-key ring is not JSON (${(err as Error).message})`);
    }
    const versions = (parsed as { versions?: unknown })?.versions;
    const valid = (v: unknown): v is StoredVersion =>
      typeof v === 'object' && v !== null && Number.isInteger((v as StoredVersion).version) && typeof (v as StoredVersion).key === 'string' && Buffer.from((v as StoredVersion).key, 'base64').length === 32;
    if (!Array.isArray(versions) || versions.length === 0 || !versions.every(valid)) throw new Error(`${path}: the wrapping-key ring must hold versions, each with an integer version and a 32-byte key`);
    return new WrappingKeys(path, clock, versions);
  }

  get current(): number {
    return this.#versions[this.#versions.length - 1]!.version;
  }

  versions(): KeyVersionInfo[] {
    return this.#versions.map((v) => {
      const info: KeyVersionInfo = { version: v.version, state: v.revokedAt ? 'revoked' : v.version === this.current ? 'current' : 'active', createdAt: v.createdAt };
      if (v.revokedAt) info.revokedAt = v.revokedAt;
      return info;
    });
  }

  /** A fresh data key and its wrap under the current version. */
  generate(context: KeyContext): { dataKey: Buffer; wrappedKey: string; version: number } {
    const dataKey = randomBytes(DATA_KEY_BYTES);
    return { dataKey, wrappedKey: this.#wrap(dataKey, context), version: this.current };
  }

  /** The data key inside a wrap, if the version still unwraps and the context is the one it was wrapped with. */
  unwrap(wrappedKey: string, context: KeyContext, options: { revokedStillUnwrap?: boolean } = {}): UnwrapResult {
    const match = WRAPPED_KEY_PATTERN.exec(wrappedKey);
    if (!match) return { ok: false, reason: 'kms_unwrap_failed', detail: 'not a wrapped key (kms.v<version>.<iv>.<ciphertext>)' };
    const version = Number(match[1]);
    const stored = this.#versions.find((v) => v.version === version);
    if (!stored) return { ok: false, reason: 'kms_key_unknown', version, detail: `kms never had key version ${version}` };
    if (stored.revokedAt && !options.revokedStillUnwrap) return { ok: false, reason: 'kms_key_revoked', version, detail: `key version ${version} was revoked at ${stored.revokedAt}` };
    const sealed = Buffer.from(match[3]!, 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', Buffer.from(stored.key, 'base64'), Buffer.from(match[2]!, 'base64url'));
      decipher.setAAD(additionalData(version, context));
      decipher.setAuthTag(sealed.subarray(DATA_KEY_BYTES));
      const dataKey = Buffer.concat([decipher.update(sealed.subarray(0, DATA_KEY_BYTES)), decipher.final()]);
      return { ok: true, dataKey, version };
    } catch {
      return { ok: false, reason: 'kms_unwrap_failed', version, detail: 'the wrapped key does not open under its version with this context (altered, or wrapped for another context)' };
    }
  }

  /** The same data key wrapped under the current version; the data key never leaves kms. */
  rewrap(wrappedKey: string, context: KeyContext): { ok: true; wrappedKey: string; version: number; changed: boolean } | Extract<UnwrapResult, { ok: false }> {
    const opened = this.unwrap(wrappedKey, context);
    if (!opened.ok) return opened;
    if (opened.version === this.current) return { ok: true, wrappedKey, version: opened.version, changed: false };
    const rewrapped = this.#wrap(opened.dataKey, context);
    opened.dataKey.fill(0);
    return { ok: true, wrappedKey: rewrapped, version: this.current, changed: true };
  }

  /** A new current version; the previous one still unwraps until it is revoked. */
  rotate(): { current: number; previous: number } {
    const previous = this.current;
    this.#add();
    return { current: this.current, previous };
  }

  /** Revokes a version for good; the current version cannot be revoked (rotate first, then rewrap, then revoke). */
  revoke(version: number): { ok: true; version: number; revokedAt: string } | { ok: false; reason: KmsReason; detail: string } {
    const stored = this.#versions.find((v) => v.version === version);
    if (!stored) return { ok: false, reason: 'kms_key_unknown', detail: `kms has no key version ${version}` };
    if (version === this.current) return { ok: false, reason: 'kms_key_in_use', detail: `key version ${version} is current: rotate, rewrap the stored keys, then revoke it` };
    stored.revokedAt ??= new Date(this.#clock.now()).toISOString();
    this.#save();
    return { ok: true, version, revokedAt: stored.revokedAt };
  }

  #wrap(dataKey: Buffer, context: KeyContext): string {
    const version = this.current;
    const key = Buffer.from(this.#versions[this.#versions.length - 1]!.key, 'base64');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(additionalData(version, context));
    const sealed = Buffer.concat([cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
    return `kms.v${version}.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
  }

  #add(): void {
    const version = (this.#versions.at(-1)?.version ?? 0) + 1;
    this.#versions.push({ version, key: randomBytes(32).toString('base64'), createdAt: new Date(this.#clock.now()).toISOString() });
    this.#save();
  }

  #save(): void {
    mkdirSync(dirname(this.#path), { recursive: true, mode: 0o700 });
    const tmp = `${this.#path}.tmp`;
    writeFileSync(tmp, JSON.stringify({ versions: this.#versions }), { mode: 0o600 });
    renameSync(tmp, this.#path);
  }
}
