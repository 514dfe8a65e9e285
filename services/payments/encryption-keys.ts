/**
 * Payments' encryption keys, the only keys a sealed card opens with. Each key
 * goes next (published with its certificate, so clients learn it before they
 * need it) → current (clients seal for it) → retired (no longer published, still
 * opens cards sealed just before the rotation) → dropped. Private keys never
 * leave this object; each public key is certified for payments' SPIFFE ID by the
 * mesh CA, which is what lets a client trust it through the gateway.
 */
import { generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { compactDecrypt, decodeProtectedHeader, type ProtectedHeaderParameters } from 'jose';
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../kit/clock.ts';
import type { CardReason } from '../kit/reasons.ts';
import { BINDING, CARD_CONTENT_ALGORITHMS, CARD_KEY_ALGORITHMS, looksLikeCompactJwe, type CardBinding, type CardPlaintext, type EncryptionJwk, type EncryptionJwks } from '../kit/e2ee/sealed-card.ts';

/** Asks the mesh CA to certify a public key (SPKI PEM) as the caller's; returns the certificate PEM. */
export type Certify = (publicKeyPem: string) => Promise<string>;

export type OpenResult = { ok: true; card: CardPlaintext; kid: string } | { ok: false; reason: CardReason; detail: string };

interface EncryptionKey {
  kid: string;
  status: 'next' | 'current' | 'retired';
  privateKey: KeyObject;
  jwk: EncryptionJwk;
  retiredAt?: number;
}

export interface EncryptionKeysOptions {
  certify: Certify;
  clock?: Clock;
  /** How long a retired key still opens cards (clients may hold the previous key set this long). */
  retireAfterMs?: number;
}

export class PaymentsEncryptionKeys {
  readonly #certify: Certify;
  readonly #clock: Clock;
  readonly #retireAfterMs: number;
  #keys: EncryptionKey[] = [];

  private constructor(options: EncryptionKeysOptions) {
    this.#certify = options.certify;
    this.#clock = options.clock ?? systemClock;
    this.#retireAfterMs = options.retireAfterMs ?? 10 * 60_000;
  }

  static async create(options: EncryptionKeysOptions): Promise<PaymentsEncryptionKeys> {
    const keys = new PaymentsEncryptionKeys(options);
    keys.#keys.push(await keys.#generate('current'), await keys.#generate('next'));
    return keys;
  }

  /** The published set: current and next, public members and certificate only. */
  jwks(): EncryptionJwks {
    return { keys: this.#keys.filter((k) => k.status !== 'retired').map((k) => ({ ...k.jwk, status: k.status as 'current' | 'next' })) };
  }

  get currentKid(): string {
    return this.#keys.find((k) => k.status === 'current')!.kid;
  }

  /** next → current, current → retired, a new next; retired keys past their window are dropped. */
  async rotate(): Promise<{ current: string; retired: string; next: string }> {
    const fresh = await this.#generate('next');
    const now = this.#clock.now();
    const current = this.#keys.find((k) => k.status === 'current')!;
    const next = this.#keys.find((k) => k.status === 'next')!;
    current.status = 'retired';
    current.retiredAt = now;
    next.status = 'current';
    this.#keys = [...this.#keys.filter((k) => k.status !== 'retired' || now - (k.retiredAt ?? now) < this.#retireAfterMs), fresh];
    return { current: next.kid, retired: current.kid, next: fresh.kid };
  }

  /** Opens a sealed card, checking its algorithms, its key, its integrity and its binding to this payment. */
  async open(sealed: unknown, expected: CardBinding): Promise<OpenResult> {
    if (!looksLikeCompactJwe(sealed)) return { ok: false, reason: 'card_malformed', detail: 'card must be a compact JWE (five base64url parts)' };
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(sealed);
    } catch {
      return { ok: false, reason: 'card_malformed', detail: 'the JWE protected header is not base64url JSON' };
    }
    if (!(CARD_KEY_ALGORITHMS as readonly unknown[]).includes(header.alg) || !(CARD_CONTENT_ALGORITHMS as readonly unknown[]).includes(header.enc) || header.zip !== undefined) {
      return { ok: false, reason: 'card_alg_not_allowed', detail: `only alg ${CARD_KEY_ALGORITHMS.join(', ')} with enc ${CARD_CONTENT_ALGORITHMS.join(', ')} and no zip are opened` };
    }
    const key = this.#keys.find((k) => k.kid === header.kid);
    if (!key) return { ok: false, reason: 'card_key_unknown', detail: 'the card is sealed for a key payments does not hold (never, or no longer)' };
    let plaintext: Uint8Array;
    let protectedHeader: ProtectedHeaderParameters;
    try {
      ({ plaintext, protectedHeader } = await compactDecrypt(sealed, key.privateKey, { keyManagementAlgorithms: [...CARD_KEY_ALGORITHMS], contentEncryptionAlgorithms: [...CARD_CONTENT_ALGORITHMS] }));
    } catch {
      // Tampered ciphertext, tag or header, a key wrapped for another key, or an ephemeral key off the curve.
      return { ok: false, reason: 'card_unreadable', detail: 'the sealed card does not decrypt: it was altered or not sealed for this key' };
    }
    const bound = { reference: protectedHeader[BINDING.reference], amount: protectedHeader[BINDING.amount], currency: protectedHeader[BINDING.currency] };
    if (bound.reference !== expected.reference || bound.amount !== expected.amount || bound.currency !== expected.currency) {
      return { ok: false, reason: 'card_binding_mismatch', detail: 'the card was sealed for another payment (reference, amount or currency differ)' };
    }
    let card: Partial<CardPlaintext>;
    try {
      card = JSON.parse(new TextDecoder().decode(plaintext)) as Partial<CardPlaintext>;
    } catch {
      return { ok: false, reason: 'card_malformed', detail: 'the sealed card is not JSON' };
    }
    if (typeof card.number !== 'string' || typeof card.expiry !== 'string') return { ok: false, reason: 'card_malformed', detail: 'the sealed card must hold number and expiry' };
    return { ok: true, card: { number: card.number, expiry: card.expiry }, kid: key.kid };
  }

  async #generate(status: EncryptionKey['status']): Promise<EncryptionKey> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const certPem = await this.#certify(publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const cert = new X509Certificate(certPem);
    if (!cert.publicKey.equals(publicKey)) throw new Error('the CA certified another key than the one asked for');
    const { x, y } = publicKey.export({ format: 'jwk' });
    const kid = randomBytes(12).toString('base64url');
    return { kid, status, privateKey, jwk: { kty: 'EC', crv: 'P-256', x: x!, y: y!, kid, use: 'enc', alg: CARD_KEY_ALGORITHMS[0], x5c: [cert.raw.toString('base64')], status: status === 'current' ? 'current' : 'next' } };
  }
}
