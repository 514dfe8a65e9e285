/**
 * The weak-internal-trust misconfiguration, honoured only when a workload is set
 * to trust it: an `x-forwarded-client-cert` header (Envoy's format,
 * `Hash=<hex sha256>;URI=spiffe://...`) taken as the caller's identity, as a
 * sidecar-fronted service would. Without that setting the header means nothing.
 */
import type { IncomingMessage } from 'node:http';
import { checkSpiffeId } from '../spiffe.ts';
import type { PeerIdentity } from './peer-identity.ts';

export const XFCC_HEADER = 'x-forwarded-client-cert';

export function forwardedPeer(req: IncomingMessage): PeerIdentity | undefined {
  const header = req.headers[XFCC_HEADER];
  if (typeof header !== 'string') return undefined;
  const fields = new Map(header.split(';').map((part) => {
    const eq = part.indexOf('=');
    return [part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim().replace(/^"|"$/g, '')] as const;
  }));
  const spiffeId = fields.get('uri');
  if (!checkSpiffeId(spiffeId).ok) return undefined;
  const hash = fields.get('hash') ?? '';
  const certThumbprint = /^[0-9a-f]{64}$/i.test(hash) ? Buffer.from(hash, 'hex').toString('base64url') : '';
  return { spiffeId: spiffeId!, certThumbprint, serial: '', notAfter: '', subject: '' };
}
