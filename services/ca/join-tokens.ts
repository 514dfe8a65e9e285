/**
 * Single-use join tokens: whoever starts a workload hands it one; the CA binds
 * it to exactly one SPIFFE ID. Only hashes are stored; a token works once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Clock } from '../kit/clock.ts';
import { systemClock } from '../kit/clock.ts';
import { isSpiffeId } from '../kit/spiffe.ts';

export interface JoinTokenRecord {
  hash: string;
  spiffeId: string;
  expiresAt: number;
  usedAt?: number;
}

export type JoinOutcome = { ok: true; spiffeId: string } | { ok: false; reason: 'join_token_unknown' | 'join_token_used' | 'join_token_expired' };

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newJoinToken(): string {
  return randomBytes(24).toString('base64url');
}

export class JoinTokenRegistry {
  #records = new Map<string, JoinTokenRecord>();
  #clock: Clock;
  #path: string | undefined;

  constructor(options: { clock?: Clock; path?: string } = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#path = options.path;
    if (this.#path && existsSync(this.#path)) {
      const saved = JSON.parse(readFileSync(this.#path, 'utf8')) as { tokens?: JoinTokenRecord[] };
      for (const r of saved.tokens ?? []) this.#records.set(r.hash, r);
    }
  }

  /** Registers a token for one SPIFFE ID; returns the clear token to hand to the workload. */
  add(spiffeId: string, ttlSeconds = 300, token = newJoinToken()): string {
    if (!isSpiffeId(spiffeId)) throw new TypeError(`spiffeId "${spiffeId}" is not a SPIFFE ID`);
    if (!(ttlSeconds > 0)) throw new TypeError(`ttlSeconds must be positive (got ${ttlSeconds})`);
    this.#records.set(hashToken(token), { hash: hashToken(token), spiffeId, expiresAt: this.#clock.now() + ttlSeconds * 1000 });
    this.#save();
    return token;
  }

  /** Consumes a token: valid once, before its expiry. */
  redeem(token: string): JoinOutcome {
    // Looked up by hash: the clear token is never compared, so the lookup time reveals nothing about it.
    const record = this.#records.get(hashToken(String(token)));
    if (!record) return { ok: false, reason: 'join_token_unknown' };
    if (record.usedAt !== undefined) return { ok: false, reason: 'join_token_used' };
    if (this.#clock.now() > record.expiresAt) return { ok: false, reason: 'join_token_expired' };
    record.usedAt = this.#clock.now();
    this.#save();
    return { ok: true, spiffeId: record.spiffeId };
  }

  #save(): void {
    if (this.#path) writeFileSync(this.#path, JSON.stringify({ tokens: [...this.#records.values()] }, null, 2), { mode: 0o600 });
  }
}
