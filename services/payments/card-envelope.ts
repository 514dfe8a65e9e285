/**
 * Payments' side of the envelope for cards at rest: each card is encrypted
 * under a fresh data key from the key-management workload (a compact JWE, `dir`
 * + A256GCM, jose as for the sealed card in flight), and only the wrapped key is
 * kept beside it. Payments holds no long-lived card key: reading a stored card
 * back means asking kms to unwrap, which the PDP allows payments alone.
 */
import { CompactEncrypt, compactDecrypt } from 'jose';
import type { MeshResponse } from '../kit/mtls/client.ts';
import { cardKeyContext, STORED_CARD_PATTERN, STORED_CARD_REFERENCE, WRAPPED_KEY_PATTERN, type KeyContext } from '../kit/e2ee/envelope.ts';
import { isReasonCode, type ReasonCode } from '../kit/reasons.ts';

/** One call to a kms data-key route, made by payments over mTLS with its access token. */
export type KmsCall = (path: '/v1/data-keys' | '/v1/unwrap', body: { context: KeyContext; wrappedKey?: string }) => Promise<MeshResponse>;

export interface StoredCard {
  /** The card number as a compact JWE under its data key. */
  cardToken: string;
  /** The data key, wrapped by kms. */
  cardKey: string;
}

export type OpenStoredResult = { ok: true; number: string; keyVersion: number } | { ok: false; status: number; reason: ReasonCode; detail: string };

/** kms answered something other than a key: the reason it gave, passed on. */
export class KmsRefusal extends Error {
  readonly status: number;
  readonly reason: ReasonCode;
  constructor(status: number, reason: ReasonCode, detail: string) {
    super(`kms refused: ${status} ${reason}${detail ? ` (${detail})` : ''}`);
    this.name = 'KmsRefusal';
    this.status = status;
    this.reason = reason;
  }
}

const ALGORITHMS = { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] };

async function dataKeyFrom(res: MeshResponse): Promise<{ dataKey: Uint8Array; keyVersion: number; wrappedKey?: string }> {
  if (res.status !== 200) {
    let body: { error?: unknown; detail?: unknown } = {};
    try {
      body = res.json();
    } catch {
      // not JSON: the status says enough
    }
    throw new KmsRefusal(res.status, isReasonCode(body.error) ? body.error : 'upstream_unavailable', typeof body.detail === 'string' ? body.detail : '');
  }
  const body = res.json<{ dataKey?: unknown; keyVersion?: unknown; wrappedKey?: unknown }>();
  const dataKey = typeof body.dataKey === 'string' ? Buffer.from(body.dataKey, 'base64') : Buffer.alloc(0);
  if (dataKey.length !== 32 || !Number.isInteger(body.keyVersion)) throw new KmsRefusal(502, 'upstream_unavailable', 'kms answered without a 32-byte data key and its version');
  const out: { dataKey: Uint8Array; keyVersion: number; wrappedKey?: string } = { dataKey, keyVersion: body.keyVersion as number };
  if (typeof body.wrappedKey === 'string') out.wrappedKey = body.wrappedKey;
  return out;
}

export class CardEnvelope {
  readonly #kms: KmsCall;

  constructor(kms: KmsCall) {
    this.#kms = kms;
  }

  /** Encrypts the card number for storage under the payment's reference; throws KmsRefusal when kms gives no key. */
  async seal(cardNumber: string, reference: string): Promise<StoredCard & { keyVersion: number; last4: string }> {
    const { dataKey, keyVersion, wrappedKey } = await dataKeyFrom(await this.#kms('/v1/data-keys', { context: cardKeyContext(reference) }));
    if (!wrappedKey || !WRAPPED_KEY_PATTERN.test(wrappedKey)) throw new KmsRefusal(502, 'upstream_unavailable', 'kms answered without a wrapped key');
    try {
      const cardToken = await new CompactEncrypt(new TextEncoder().encode(cardNumber)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', [STORED_CARD_REFERENCE]: reference }).encrypt(dataKey);
      return { cardToken, cardKey: wrappedKey, keyVersion, last4: cardNumber.slice(-4) };
    } finally {
      dataKey.fill(0);
    }
  }

  /** Reads a stored card back: kms unwraps its key (or says why not), the JWE must open and name this reference. */
  async open(stored: StoredCard, reference: string): Promise<OpenStoredResult> {
    if (!STORED_CARD_PATTERN.test(stored.cardToken)) return { ok: false, status: 400, reason: 'card_malformed', detail: 'cardToken: not a stored card (a compact JWE, dir + A256GCM)' };
    if (!WRAPPED_KEY_PATTERN.test(stored.cardKey)) return { ok: false, status: 400, reason: 'card_malformed', detail: 'cardKey: not a wrapped key' };
    let key: Awaited<ReturnType<typeof dataKeyFrom>>;
    try {
      key = await dataKeyFrom(await this.#kms('/v1/unwrap', { context: cardKeyContext(reference), wrappedKey: stored.cardKey }));
    } catch (err) {
      if (err instanceof KmsRefusal) return { ok: false, status: err.status, reason: err.reason, detail: err.message };
      throw err;
    }
    try {
      const { plaintext, protectedHeader } = await compactDecrypt(stored.cardToken, key.dataKey, ALGORITHMS);
      if (protectedHeader[STORED_CARD_REFERENCE] !== reference) return { ok: false, status: 400, reason: 'card_binding_mismatch', detail: 'the stored card belongs to another payment' };
      return { ok: true, number: new TextDecoder().decode(plaintext), keyVersion: key.keyVersion };
    } catch (err) {
      return { ok: false, status: 400, reason: 'card_unreadable', detail: `the stored card does not open under its data key (${(err as Error).message.slice(0, 100)})` };
    } finally {
      key.dataKey.fill(0);
    }
  }
}
