/**
 * The part of verification every token kind shares, in an order that tells a
 * forger nothing about the claims: structure → alg → kid → key state →
 * signature → typ → payload. Claims are only read from an authenticated payload.
 * ES256 and EdDSA signatures are checked synchronously with node:crypto over a
 * KeyObject made once per key (WebCrypto's async hop costs more than the
 * verify itself); only the HS256 mutant goes through jose.
 */
import { KeyObject, verify as verifySignature } from 'node:crypto';
import { compactVerify, errors, type CryptoKey } from 'jose';
import type { TokenReason } from '../reasons.ts';
import { parseCompactHeader, parseJsonObject } from './compact-token.ts';
import { KID_PATTERN, type JwksCache } from './jwks-cache.ts';

export interface SignedJwtOptions {
  jwks: JwksCache;
  algorithms: readonly string[];
  /** The expected `typ`, e.g. "at+jwt"; "application/" prefix and letter case are ignored (RFC 7515 §4.1.9). Undefined only in the mutant that skips it. */
  type: string | undefined;
}

export type SignedJwt =
  | { ok: true; header: Record<string, unknown>; payload: Record<string, unknown>; kid: string; jwksVersion: number }
  | { ok: false; reason: TokenReason; kid?: string };

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Raw signature bytes per algorithm: ES256 is r‖s (IEEE P1363), EdDSA (Ed25519) 64 bytes. */
const SIGNATURE_BYTES: Record<string, number> = { ES256: 64, EdDSA: 64 };

const keyObjects = new WeakMap<CryptoKey, KeyObject>();

function keyObjectOf(key: CryptoKey): KeyObject {
  let found = keyObjects.get(key);
  if (!found) {
    found = KeyObject.from(key);
    keyObjects.set(key, found);
  }
  return found;
}

/** The signature over `header.payload`, checked with node:crypto; the signature must be canonical base64url of the exact length. */
function signatureValid(token: string, alg: string, key: CryptoKey): boolean {
  const dot = token.lastIndexOf('.');
  const encoded = token.slice(dot + 1);
  const signature = Buffer.from(encoded, 'base64url');
  if (signature.length !== SIGNATURE_BYTES[alg] || signature.toString('base64url') !== encoded) return false;
  const input = Buffer.from(token.slice(0, dot), 'ascii');
  const keyObject = keyObjectOf(key);
  return alg === 'ES256' ? verifySignature('sha256', input, { key: keyObject, dsaEncoding: 'ieee-p1363' }, signature) : verifySignature(null, input, keyObject, signature);
}

export function normalizeType(typ: unknown): string | undefined {
  if (typeof typ !== 'string') return undefined;
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

export async function verifySignedJwt(token: string, options: SignedJwtOptions): Promise<SignedJwt> {
  const parsed = parseCompactHeader(token);
  if (!parsed.ok) return { ok: false, reason: 'token_malformed' };
  const { header } = parsed;
  const alg = header.alg;
  if (typeof alg !== 'string') return { ok: false, reason: 'token_malformed' };
  if (!options.algorithms.includes(alg)) return { ok: false, reason: 'token_alg_not_allowed' };
  // No extension is understood, so any critical one makes the token unusable (RFC 7515 §4.1.11).
  if (header.crit !== undefined || header.b64 !== undefined) return { ok: false, reason: 'token_malformed' };
  const kid = header.kid;
  if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) return { ok: false, reason: 'token_unknown_kid' };
  const found = await options.jwks.lookup(kid);
  if (found.status === 'revoked') return { ok: false, reason: 'token_key_revoked', kid };
  if (found.status === 'unknown') return { ok: false, reason: 'token_unknown_kid', kid };
  // A key is bound to one algorithm; a header naming another is a confusion attempt (HS256 passes only where the mutant allowed it).
  const hmacConfusion = alg === 'HS256';
  if (found.alg !== alg && !hmacConfusion) return { ok: false, reason: 'token_alg_not_allowed', kid };
  let payloadBytes: Uint8Array;
  if (hmacConfusion) {
    try {
      ({ payload: payloadBytes } = await compactVerify(token, Buffer.from(KeyObject.from(found.key).export({ type: 'spki', format: 'pem' })), { algorithms: [alg] }));
    } catch (err) {
      if (err instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: 'token_bad_signature', kid };
      return { ok: false, reason: 'token_malformed', kid };
    }
  } else {
    if (!(alg in SIGNATURE_BYTES)) return { ok: false, reason: 'token_alg_not_allowed', kid };
    let valid: boolean;
    try {
      valid = signatureValid(token, alg, found.key);
    } catch {
      return { ok: false, reason: 'token_malformed', kid };
    }
    if (!valid) return { ok: false, reason: 'token_bad_signature', kid };
    payloadBytes = Buffer.from(token.slice(token.indexOf('.') + 1, token.lastIndexOf('.')), 'base64url');
  }
  if (options.type !== undefined && normalizeType(header.typ) !== options.type) return { ok: false, reason: 'token_wrong_type', kid };
  let text: string;
  try {
    text = decoder.decode(payloadBytes);
  } catch {
    return { ok: false, reason: 'token_malformed', kid };
  }
  const payload = parseJsonObject(text);
  if (!payload) return { ok: false, reason: 'token_malformed', kid };
  return { ok: true, header, payload, kid, jwksVersion: found.version };
}
