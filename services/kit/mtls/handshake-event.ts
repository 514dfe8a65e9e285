import type { TlsReason } from '../reasons.ts';
import type { PeerIdentity } from './peer-identity.ts';

/** One finished (or failed) TLS handshake, as reported to metrics, spans and audit logs. */
export interface HandshakeEvent {
  role: 'server' | 'client';
  ok: boolean;
  reason?: TlsReason;
  detail?: string;
  peer?: PeerIdentity;
  /** The peer's SPIFFE ID where it could be read, also on failure. */
  spiffeId?: string;
  remoteAddress: string;
  protocol?: string;
  cipher?: string;
  resumed: boolean;
  startTime: number;
  endTime: number;
  durationSeconds: number;
}
