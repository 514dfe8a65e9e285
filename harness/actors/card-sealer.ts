/**
 * Seals a payment's card the way a client must: it fetches payments' key set
 * from the gateway's public port (the hop it does not trust), checks the key's
 * certificate against the mesh trust bundle, and encrypts the card for it,
 * bound to the payment. Every actor that sends a payment goes through here.
 */
import https from 'node:https';
import type { KeyObject } from 'node:crypto';
import { formatMinorUnits, parseAmount } from '../../services/kit/amount.ts';
import { currentEncryptionKey } from '../../services/kit/e2ee/encryption-key-check.ts';
import { ENCRYPTION_KEYS_PATH, type CardBinding, type EncryptionJwks } from '../../services/kit/e2ee/sealed-card.ts';
import { sealCard } from '../../services/kit/e2ee/seal-card.ts';
import { spiffeIdFor } from '../../services/kit/spiffe.ts';
import type { MeshEngine } from '../engine/mesh-engine.ts';
import type { PaymentBody } from './payment.ts';

/** How long a fetched key set is used before it is fetched again (payments rotates hourly and publishes next ahead). */
const KEY_SET_TTL_MS = 30_000;

/** A checked encryption key of payments and its id. */
export interface Recipient {
  key: KeyObject;
  kid: string;
}

export interface SealedPaymentBody extends Omit<PaymentBody, 'card'> {
  card: string;
}

/** The key set as the gateway serves it, unchecked (a scenario may tamper with it before sealing). */
export function fetchEncryptionKeys(engine: MeshEngine): Promise<EncryptionJwks> {
  const base = engine.endpoint('gateway').publicUrl;
  if (!base) throw new TypeError('the gateway has no public port');
  return fetchEncryptionKeysFrom(base, engine.trustBundle());
}

/** The key set from a gateway's public URL, its TLS checked against the trust bundle. */
export function fetchEncryptionKeysFrom(gatewayPublicUrl: string, bundlePem: string): Promise<EncryptionJwks> {
  return new Promise((resolve, reject) => {
    const req = https.get(new URL(ENCRYPTION_KEYS_PATH, gatewayPublicUrl), { ca: bundlePem, timeout: 10_000 }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`GET ${ENCRYPTION_KEYS_PATH} answered ${res.statusCode}: ${data.slice(0, 200)}`));
        try {
          resolve(JSON.parse(data) as EncryptionJwks);
        } catch {
          reject(new Error(`GET ${ENCRYPTION_KEYS_PATH} is not JSON`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${ENCRYPTION_KEYS_PATH} timed out`)));
    req.on('error', reject);
  });
}

/** The key to seal for: the key set's current key once its certificate is checked; throws naming why it is not payments'. */
export function recipientOf(bundlePem: string, jwks: EncryptionJwks): Recipient {
  const checked = currentEncryptionKey(jwks, bundlePem, spiffeIdFor('payments'));
  if (!checked.ok) throw new CardSealRefused(checked.problem);
  return { key: checked.key, kid: checked.jwk.kid };
}

/** What a sealed card is bound to; an amount payments will refuse anyway (a test of the amount checks) is bound as written. */
export function bindingOf(payment: PaymentBody): CardBinding {
  const amount = typeof payment.amount === 'number' ? parseAmount(payment.amount) : undefined;
  return { reference: payment.reference, amount: amount?.ok ? formatMinorUnits(amount.minor) : String(payment.amount), currency: String(payment.currency) };
}

/** The payment with its card sealed for `recipient`. */
export async function sealPaymentFor(recipient: Recipient, payment: PaymentBody): Promise<SealedPaymentBody> {
  return { ...payment, card: await sealCard(payment.card, bindingOf(payment), recipient) };
}

/** Seals for the key set given, after checking it. */
export async function sealPaymentWith(bundlePem: string, jwks: EncryptionJwks, payment: PaymentBody): Promise<SealedPaymentBody> {
  return sealPaymentFor(recipientOf(bundlePem, jwks), payment);
}

/** The client refused to seal: the key it was handed is not payments'. */
export class CardSealRefused extends Error {
  override name = 'CardSealRefused';
}

// The checked key, not only the key set: its certificate is verified once per fetch, not once per payment.
const cache = new WeakMap<MeshEngine, { recipient: Recipient; at: number }>();

/** Seals with payments' current key (fetched through the gateway and checked, cached briefly per engine). */
export async function sealPayment(engine: MeshEngine, payment: PaymentBody): Promise<SealedPaymentBody> {
  const hit = cache.get(engine);
  const fresh = hit && Date.now() - hit.at < KEY_SET_TTL_MS ? hit : { recipient: recipientOf(engine.trustBundle(), await fetchEncryptionKeys(engine)), at: Date.now() };
  cache.set(engine, fresh);
  return sealPaymentFor(fresh.recipient, payment);
}

/** A payment body whose card is still in clear. */
export function hasClearCard(body: unknown): body is PaymentBody {
  const card = (body as { card?: unknown } | null)?.card;
  return typeof body === 'object' && body !== null && typeof card === 'object' && card !== null && typeof (body as PaymentBody).reference === 'string';
}

/**
 * Sends a payment with its card sealed; when payments no longer holds the key it was sealed for (it was
 * redeployed or rotated past it), fetches the key set again and sends once more, as a JWKS client would.
 */
export async function sendSealed<R extends { status: number; json<T>(): T }>(engine: MeshEngine, payment: PaymentBody, send: (body: SealedPaymentBody) => Promise<R>): Promise<R> {
  const first = await send(await sealPayment(engine, payment));
  if (first.status !== 400 || errorOf(first) !== 'card_key_unknown') return first;
  cache.delete(engine);
  return send(await sealPayment(engine, payment));
}

function errorOf(res: { json<T>(): T }): unknown {
  try {
    return res.json<{ error?: unknown }>().error;
  } catch {
    return undefined;
  }
}
