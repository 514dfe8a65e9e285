/**
 * The part of verification every token kind shares, in an order that tells a
 * forger nothing about the claims: structure → alg → kid → key state →
 * signature → typ → payload. Claims are only read from an authenticated payload.
 */
import { KeyObject } from 'node:crypto';
import { compactVerify, errors } from 'jose';
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
  try {
    const key = hmacConfusion ? Buffer.from(KeyObject.from(found.key).export({ type: 'spki', format: 'pem' })) : found.key;
    ({ payload: payloadBytes } = await compactVerify(token, key, { algorithms: [alg] }));
  } catch (err) {
    if (err instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: 'token_bad_signature', kid };
    if (err instanceof errors.JOSEAlgNotAllowed) return { ok: false, reason: 'token_alg_not_allowed', kid };
    return { ok: false, reason: 'token_malformed', kid };
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
