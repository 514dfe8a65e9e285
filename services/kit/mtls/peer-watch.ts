/**
 * Keeps open connections honest about their peer's certificate: every socket
 * authenticated by a certificate is closed the moment a CRL update revokes that
 * certificate's serial, and at the certificate's notAfter at the latest.
 */
import type { TLSSocket } from 'node:tls';
import type { ConnectionClosedEvent } from './connection-closed-event.ts';
import type { RevocationList } from './revocation-list.ts';
import { systemClock, type Clock } from '../clock.ts';

/** setTimeout's longest delay; a later expiry is re-armed when this one fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface WatchedPeer {
  spiffeId: string;
  serial: string;
  notAfterMs: number;
}

export interface PeerWatchOptions {
  role: ConnectionClosedEvent['role'];
  revocation?: RevocationList | undefined;
  /** false only in the mutant that turns revocation checking off. */
  checkRevocation?: boolean | undefined;
  /** true only in the mutant that accepts expired certificates. */
  acceptExpired?: boolean | undefined;
  onClosed?: ((event: ConnectionClosedEvent) => void) | undefined;
  /** Decides when a peer certificate has expired (the timer only wakes the check up). */
  clock?: Clock | undefined;
}

interface Entry {
  peer: WatchedPeer;
  openedAt: number;
  timer: NodeJS.Timeout | undefined;
}

export class PeerWatch {
  readonly #sockets = new Map<TLSSocket, Entry>();
  readonly #options: PeerWatchOptions;
  readonly #unsubscribe: (() => void) | undefined;
  readonly #clock: Clock;

  constructor(options: PeerWatchOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    if (options.revocation && options.checkRevocation !== false) this.#unsubscribe = options.revocation.onUpdate(() => this.#sweepRevoked());
  }

  get size(): number {
    return this.#sockets.size;
  }

  /** Starts watching an authenticated socket until it closes. */
  watch(socket: TLSSocket, peer: WatchedPeer): void {
    if (this.#sockets.has(socket) || socket.destroyed) return;
    const entry: Entry = { peer, openedAt: this.#clock.now(), timer: undefined };
    this.#sockets.set(socket, entry);
    socket.once('close', () => {
      clearTimeout(entry.timer);
      this.#sockets.delete(socket);
    });
    if (this.#options.acceptExpired !== true) this.#armExpiry(socket, entry);
  }

  #armExpiry(socket: TLSSocket, entry: Entry): void {
    const delay = entry.peer.notAfterMs - this.#clock.now();
    if (delay <= 0) {
      this.#close(socket, entry, 'cert_expired');
      return;
    }
    entry.timer = setTimeout(() => this.#armExpiry(socket, entry), Math.min(delay, MAX_TIMER_MS));
    entry.timer.unref();
  }

  #sweepRevoked(): void {
    const revocation = this.#options.revocation!;
    for (const [socket, entry] of [...this.#sockets]) if (revocation.isRevoked(entry.peer.serial)) this.#close(socket, entry, 'cert_revoked');
  }

  #close(socket: TLSSocket, entry: Entry, reason: ConnectionClosedEvent['reason']): void {
    clearTimeout(entry.timer);
    this.#sockets.delete(socket);
    socket.destroy();
    const event: ConnectionClosedEvent = { role: this.#options.role, reason, spiffeId: entry.peer.spiffeId, serial: entry.peer.serial, remoteAddress: socket.remoteAddress ?? 'unknown', openedAt: entry.openedAt, closedAt: this.#clock.now() };
    try {
      this.#options.onClosed?.(event);
    } catch {
      // Reporting must never keep a connection open.
    }
  }

  stop(): void {
    this.#unsubscribe?.();
    for (const entry of this.#sockets.values()) clearTimeout(entry.timer);
    this.#sockets.clear();
  }
}
