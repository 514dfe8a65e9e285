/**
 * Helpers for the token tests: real keys, real signatures, and the forged
 * tokens an attacker would build. Not used by production code.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { CompactSign, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import type { JwksDocument } from '../kit/tokens/jwks-cache.ts';

export const ISSUER = 'spiffe://meshgate.test/sts';
export const PAYMENTS = 'spiffe://meshgate.test/payments';
export const GATEWAY = 'spiffe://meshgate.test/gateway';

export interface TestKey {
  kid: string;
  alg: 'ES256' | 'EdDSA';
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export async function makeKey(alg: 'ES256' | 'EdDSA' = 'ES256'): Promise<TestKey> {
  const { privateKey, publicKey } = alg === 'EdDSA' ? await generateKeyPair('EdDSA', { crv: 'Ed25519' }) : await generateKeyPair('ES256');
  const kid = randomBytes(9).toString('base64url');
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, publicJwk };
}

/** base64url SHA-256 of some certificate-like bytes: a real x5t#S256 value. */
export function thumbprint(): string {
  return createHash('sha256').update(randomBytes(64)).digest('base64url');
}

/** A JWKS endpoint stand-in: the document can change and every fetch is counted. */
export class JwksSource {
  doc: JwksDocument;
  fetches = 0;
  failing = false;
  constructor(keys: TestKey[], revoked: string[] = []) {
    this.doc = { keys: keys.map((k) => k.publicJwk), revoked };
  }
  readonly fetchJwks = async (): Promise<JwksDocument> => {
    this.fetches++;
    if (this.failing) throw new Error('token service unreachable');
    return structuredClone(this.doc);
  };
}

export function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Signs exactly the given protected header and payload (no defaults added). */
export async function signRaw(header: Record<string, unknown>, payload: Record<string, unknown>, key: CryptoKey): Promise<string> {
  const crit = Array.isArray(header.crit) ? Object.fromEntries((header.crit as string[]).map((name) => [name, true])) : undefined;
  const sign = new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header as { alg: string });
  return crit ? sign.sign(key, { crit }) : sign.sign(key);
}

export function accessClaims(overrides: Record<string, unknown> = {}, now = Date.now()): Record<string, unknown> {
  const iat = Math.floor(now / 1000);
  return { iss: ISSUER, sub: GATEWAY, aud: PAYMENTS, iat, nbf: iat, exp: iat + 60, jti: randomBytes(12).toString('base64url'), client_id: GATEWAY, ...overrides };
}

export function txnClaims(overrides: Record<string, unknown> = {}, now = Date.now()): Record<string, unknown> {
  const iat = Math.floor(now / 1000);
  return {
    iss: ISSUER,
    aud: 'spiffe://meshgate.test',
    sub: 'alice',
    scope: 'payments:write',
    txn: 'req-1',
    purp: 'payment',
    rctx: { authn: 'pwd', req_ip: '127.0.0.1' },
    azd: { amount: 12.5, currency: 'EUR' },
    iat,
    exp: iat + 30,
    jti: randomBytes(12).toString('base64url'),
    ...overrides,
  };
}

/** `alg: none`: no signature at all. */
export function unsignedToken(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  return `${b64json({ ...header, alg: 'none' })}.${b64json(payload)}.`;
}

/** Key confusion: HMAC-SHA256 keyed with the verifier's public key bytes (SPKI PEM). */
export async function hs256WithPublicKey(key: TestKey, header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> {
  const pem = await exportSPKI(key.publicKey);
  const input = `${b64json({ ...header, alg: 'HS256' })}.${b64json(payload)}`;
  return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
}

/** Replaces the payload segment and keeps the original signature. */
export function withPayload(token: string, payload: Record<string, unknown>): string {
  const [h, , s] = token.split('.');
  return `${h}.${b64json(payload)}.${s}`;
}
