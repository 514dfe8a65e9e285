/**
 * The client's check before it seals: the key it was handed (by the gateway, the
 * hop end-to-end encryption distrusts) must carry a certificate that the mesh
 * CA issued for payments' SPIFFE ID, valid now, for key agreement only, and for
 * exactly this public key. A gateway that substitutes its own key fails here.
 */
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { uriSans } from '../mtls/peer-identity.ts';
import { x509 } from '../x509.ts';
import type { EncryptionJwk, EncryptionJwks } from './sealed-card.ts';

export type KeyCheck = { ok: true; key: KeyObject; jwk: EncryptionJwk } | { ok: false; problem: string };

export function checkEncryptionKey(jwk: EncryptionJwk, bundlePem: string, expectedSpiffeId: string, now = new Date()): KeyCheck {
  if (jwk?.kty !== 'EC' || jwk.crv !== 'P-256' || jwk.use !== 'enc' || typeof jwk.kid !== 'string') return { ok: false, problem: 'not a P-256 encryption key (kty EC, crv P-256, use enc, kid)' };
  if (!Array.isArray(jwk.x5c) || typeof jwk.x5c[0] !== 'string') return { ok: false, problem: `key ${jwk.kid} carries no x5c certificate` };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(jwk.x5c[0], 'base64'));
  } catch {
    return { ok: false, problem: `key ${jwk.kid}: x5c[0] is not a DER certificate` };
  }
  const issuers = (bundlePem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem));
  if (!issuers.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey))) return { ok: false, problem: `key ${jwk.kid}: its certificate was not issued by the mesh CA` };
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) return { ok: false, problem: `key ${jwk.kid}: its certificate is not valid now (${cert.validFrom} .. ${cert.validTo})` };
  const ids = uriSans(cert);
  if (ids.length !== 1 || ids[0] !== expectedSpiffeId) return { ok: false, problem: `key ${jwk.kid}: its certificate names ${ids.join(', ') || 'no SPIFFE ID'}, not ${expectedSpiffeId}` };
  const usage = new x509.X509Certificate(cert.raw).getExtension(x509.KeyUsagesExtension);
  if (!usage || usage.usages !== x509.KeyUsageFlags.keyAgreement) return { ok: false, problem: `key ${jwk.kid}: its certificate is not for key agreement only` };
  const certified = cert.publicKey.export({ format: 'jwk' });
  if (certified.x !== jwk.x || certified.y !== jwk.y) return { ok: false, problem: `key ${jwk.kid}: the published key is not the certified one` };
  return { ok: true, key: createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, format: 'jwk' }), jwk };
}

/** The key to seal for: the current one of the set, checked. */
export function currentEncryptionKey(jwks: EncryptionJwks, bundlePem: string, expectedSpiffeId: string, now = new Date()): KeyCheck {
  const current = jwks?.keys?.find((k) => k.status === 'current');
  if (!current) return { ok: false, problem: 'the key set has no current key' };
  return checkEncryptionKey(current, bundlePem, expectedSpiffeId, now);
}
