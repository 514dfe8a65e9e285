/** An authenticated connection the workload closed because its peer's certificate stopped being valid. */
export interface ConnectionClosedEvent {
  role: 'server' | 'client';
  reason: 'cert_revoked' | 'cert_expired';
  spiffeId: string;
  serial: string;
  remoteAddress: string;
  /** When the connection was authenticated and when it was closed (ms since the epoch). */
  openedAt: number;
  closedAt: number;
}
