/**
 * Tokens an attacker can make without the token service's private key: no
 * signature, an HMAC keyed with the published public key, a key of their own
 * under an unknown kid, and a real token with its claims edited.
 */
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

export function decodeToken(token: string): { header: Record<string, unknown>; payload: Record<string, unknown>; signature: string } {
  const [h, p, s] = token.split('.');
  if (!h || !p || s === undefined) throw new TypeError('not a compact JWS');
  return { header: JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>, payload: JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>, signature: s };
}

/** alg "none": no signature at all. */
export function forgeAlgNone(token: string): string {
  const { header, payload } = decodeToken(token);
  return `${b64({ ...header, alg: 'none' })}.${b64(payload)}.`;
}

/** HS256 keyed with the public key's bytes: the classic key-confusion attack. */
export function forgeHmacWithPublicKey(token: string, publicKey: string): string {
  const { header, payload } = decodeToken(token);
  const input = `${b64({ ...header, alg: 'HS256' })}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', publicKey).update(input).digest('base64url')}`;
}

/** Signed with the attacker's own P-256 key under a kid the service never published. */
export function forgeWithOwnKey(token: string, kid = 'attacker-key-1'): string {
  const { header, payload } = decodeToken(token);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const input = `${b64({ ...header, kid })}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

/** A real token whose claims were edited, signature kept. */
export function tamperClaims(token: string, changes: Record<string, unknown>): string {
  const { header, payload, signature } = decodeToken(token);
  return `${b64(header)}.${b64({ ...payload, ...changes })}.${signature}`;
}
