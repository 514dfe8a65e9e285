/**
 * What a workload knows about the peer on an mTLS connection, read once per
 * connection (getPeerCertificate costs 55–75 µs, so never per request).
 */
import { createHash, type X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { TlsReason } from '../reasons.ts';
import { parseSpiffeId, TRUST_DOMAIN } from '../spiffe.ts';
import type { RevocationList } from './revocation-list.ts';

export interface PeerIdentity {
  spiffeId: string;
  /** RFC 8705 x5t#S256: base64url SHA-256 of the DER certificate. */
  certThumbprint: string;
  serial: string;
  notAfter: string;
  subject: string;
}

export type PeerCheck = { ok: true; peer: PeerIdentity } | { ok: false; reason: TlsReason; spiffeId?: string; detail: string };

export interface PeerPolicy {
  trustDomain?: string;
  revocation?: RevocationList;
  /** Turned off only by mutation tests that prove a scenario notices. */
  checkRevocation?: boolean;
  /** Turned on only by mutation tests: accepts expired certificates. */
  acceptExpired?: boolean;
}

export function certThumbprint(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('base64url');
}

/** URI SANs of a certificate, from Node's comma-separated subjectAltName string. */
export function uriSans(cert: X509Certificate): string[] {
  const san = cert.subjectAltName ?? '';
  return san
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('URI:'))
    .map((entry) => entry.slice(4));
}


/** Maps an OpenSSL verification error to the mesh's reason code. */
export function reasonForVerifyError(code: string): TlsReason {
  if (code === 'CERT_HAS_EXPIRED') return 'cert_expired';
  if (code === 'CERT_NOT_YET_VALID') return 'cert_not_yet_valid';
  if (code === 'CERT_REVOKED') return 'cert_revoked';
  // Every other verification failure (unknown issuer, bad signature, self-signed...) is an untrusted chain.
  return 'cert_untrusted';
}

/** Applies the SVID rules to a peer certificate that OpenSSL has already chain-checked. */
export function checkSvidShape(cert: X509Certificate, trustDomain: string): { ok: true; spiffeId: string } | { ok: false; detail: string; spiffeId?: string } {
  const uris = uriSans(cert);
  if (uris.length !== 1) return { ok: false, detail: `expected exactly one URI SAN, found ${uris.length}` };
  const spiffeId = uris[0]!;
  const parsed = parseSpiffeId(spiffeId);
  if (!parsed) return { ok: false, detail: 'URI SAN is not a SPIFFE ID' };
  if (parsed.trustDomain !== trustDomain) return { ok: false, spiffeId, detail: `trust domain ${parsed.trustDomain} is not ${trustDomain}` };
  if (cert.ca) return { ok: false, spiffeId, detail: 'leaf certificate has CA=true' };
  return { ok: true, spiffeId };
}

/** Decides whether the peer on a finished TLS handshake is a valid, unrevoked workload. */
export function checkPeer(socket: TLSSocket, policy: PeerPolicy): PeerCheck {
  const cert = socket.getPeerX509Certificate();
  if (!cert) return { ok: false, reason: 'cert_missing', detail: 'peer sent no client certificate' };
  if (!socket.authorized) {
    const code = String((socket.authorizationError as unknown as { code?: string })?.code ?? socket.authorizationError ?? '');
    const reason = reasonForVerifyError(code);
    if (!(reason === 'cert_expired' && policy.acceptExpired)) {
      const shape = checkSvidShape(cert, policy.trustDomain ?? TRUST_DOMAIN);
      const check: PeerCheck = { ok: false, reason, detail: code };
      const spiffeId = shape.spiffeId;
      if (spiffeId !== undefined) check.spiffeId = spiffeId;
      return check;
    }
  }
  const shape = checkSvidShape(cert, policy.trustDomain ?? TRUST_DOMAIN);
  if (!shape.ok) {
    const check: PeerCheck = { ok: false, reason: 'svid_invalid', detail: shape.detail };
    if (shape.spiffeId !== undefined) check.spiffeId = shape.spiffeId;
    return check;
  }
  if (policy.checkRevocation !== false && policy.revocation?.isRevoked(cert.serialNumber)) {
    return { ok: false, reason: 'cert_revoked', spiffeId: shape.spiffeId, detail: `serial ${cert.serialNumber} is on the CRL` };
  }
  return {
    ok: true,
    peer: { spiffeId: shape.spiffeId, certThumbprint: certThumbprint(cert.raw), serial: cert.serialNumber, notAfter: cert.validTo, subject: cert.subject },
  };
}
