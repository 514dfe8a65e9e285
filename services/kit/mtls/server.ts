/**
 * A workload's TLS 1.3-only HTTPS server. Client certificates are required and
 * checked once per connection (chain, SVID shape, revocation); a connection that
 * fails is closed before any request is read, with its reason reported once.
 */
import { DEFAULT_TLS_GROUPS } from './key-exchange.ts';
import type { Clock } from '../clock.ts';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket, AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { TlsReason } from '../reasons.ts';
import { assertCredentials, type TlsCredentials } from './credentials.ts';
import type { ConnectionClosedEvent } from './connection-closed-event.ts';
import type { HandshakeEvent } from './handshake-event.ts';
import { checkPeer, type PeerIdentity, type PeerPolicy } from './peer-identity.ts';
import { PeerWatch } from './peer-watch.ts';

export const MAX_HEADER_BYTES = 16 * 1024;
export const HEADERS_TIMEOUT_MS = 10_000;
/** How often Node enforces headersTimeout (30 s by default, which would let a slow client hold a socket that long). */
export const CONNECTIONS_CHECK_INTERVAL_MS = 1_000;

export interface MtlsServerOptions {
  credentials: TlsCredentials;
  peerPolicy: PeerPolicy;
  /** false for ports where clients have no SVID yet (enrolment) or are end users (the gateway's public port). */
  requireClientCert?: boolean;
  onHandshake?: (event: HandshakeEvent) => void;
  /** A connection closed because its peer's certificate was revoked or expired. */
  onConnectionClosed?: (event: ConnectionClosedEvent) => void;
  /** Time a client has to send its request headers. */
  headersTimeoutMs?: number;
  /** Decides when an open connection's peer certificate has expired. */
  clock?: Clock;
  /** Key-exchange groups, most preferred first (default: hybrid post-quantum first, see key-exchange.ts). */
  groups?: string;
}

export type MtlsRequestHandler = (req: IncomingMessage, res: ServerResponse, peer: PeerIdentity | undefined) => void;

function tlsReasonForClientError(err: NodeJS.ErrnoException): TlsReason {
  const code = err.code ?? '';
  if (code === 'ERR_SSL_HTTP_REQUEST') return 'tls_plaintext';
  if (code.includes('UNSUPPORTED_PROTOCOL') || code.includes('VERSION') || code.includes('NO_PROTOCOLS')) return 'tls_version';
  return 'tls_handshake_failed';
}

export class MtlsServer {
  readonly server: https.Server;
  #peers = new WeakMap<TLSSocket, PeerIdentity>();
  #acceptedAt = new Map<string, number>();
  #options: MtlsServerOptions;
  readonly #watch: PeerWatch;

  constructor(options: MtlsServerOptions, handler: MtlsRequestHandler) {
    assertCredentials(options.credentials);
    this.#options = options;
    const { revocation, checkRevocation, acceptExpired } = options.peerPolicy;
    this.#watch = new PeerWatch({ role: 'server', revocation, checkRevocation, acceptExpired, onClosed: options.onConnectionClosed, clock: options.clock });
    const requireClientCert = options.requireClientCert !== false;
    this.server = https.createServer(
      {
        ...this.#contextOptions(options.credentials),
        requestCert: requireClientCert,
        // The chain is checked by OpenSSL, but the verdict is ours: we classify the
        // failure into a reason code and close the connection ourselves.
        rejectUnauthorized: false,
        maxHeaderSize: MAX_HEADER_BYTES,
        keepAliveTimeout: 5_000,
        requestTimeout: 30_000,
        headersTimeout: options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS,
        connectionsCheckingInterval: CONNECTIONS_CHECK_INTERVAL_MS,
        handshakeTimeout: options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS,
      },
      (req, res) => {
        const socket = req.socket as TLSSocket;
        const peer = this.#peers.get(socket);
        // Fail closed: a request on a connection without a verified peer is never handled.
        if (requireClientCert && !peer) {
          socket.destroy();
          return;
        }
        handler(req, res, peer);
      },
    );
    this.server.on('connection', (socket: Socket) => {
      this.#acceptedAt.set(`${socket.remoteAddress}:${socket.remotePort}`, performance.timeOrigin + performance.now());
      socket.once('close', () => this.#acceptedAt.delete(`${socket.remoteAddress}:${socket.remotePort}`));
    });
    this.server.on('secureConnection', (socket: TLSSocket) => this.#onSecureConnection(socket, requireClientCert));
    this.server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      const reason = tlsReasonForClientError(err);
      this.#report(socket, { ok: false, reason, detail: err.code ?? err.message });
    });
  }

  /** Every secure context carries the protocol floor and the groups: setSecureContext() would otherwise drop them on rotation. */
  #contextOptions(c: TlsCredentials) {
    return { key: c.keyPem, cert: c.certPem, ca: c.bundlePem, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ecdhCurve: this.#options.groups ?? DEFAULT_TLS_GROUPS } as const;
  }

  #onSecureConnection(socket: TLSSocket, requireClientCert: boolean): void {
    if (!requireClientCert) {
      this.#report(socket, { ok: true });
      return;
    }
    const check = checkPeer(socket, this.#options.peerPolicy);
    if (check.ok) {
      this.#peers.set(socket, check.peer);
      this.#watch.watch(socket, { spiffeId: check.peer.spiffeId, serial: check.peer.serial, notAfterMs: Date.parse(check.peer.notAfter) });
      this.#report(socket, { ok: true, peer: check.peer, spiffeId: check.peer.spiffeId });
      return;
    }
    const event: Partial<HandshakeEvent> = { ok: false, reason: check.reason, detail: check.detail };
    if (check.spiffeId !== undefined) event.spiffeId = check.spiffeId;
    this.#report(socket, event);
    socket.destroy();
  }

  #report(socket: TLSSocket, partial: Partial<HandshakeEvent>): void {
    const endTime = performance.timeOrigin + performance.now();
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    const startTime = this.#acceptedAt.get(key) ?? endTime;
    const cipher = socket.getCipher?.();
    const event: HandshakeEvent = {
      role: 'server',
      ok: partial.ok ?? false,
      remoteAddress: socket.remoteAddress ?? 'unknown',
      resumed: socket.isSessionReused?.() ?? false,
      startTime,
      endTime,
      durationSeconds: Math.max(0, endTime - startTime) / 1000,
      ...partial,
    };
    const protocol = socket.getProtocol?.();
    if (protocol) event.protocol = protocol;
    if (cipher?.name) event.cipher = cipher.standardName ?? cipher.name;
    try {
      this.#options.onHandshake?.(event);
    } catch {
      // Reporting must never keep a connection alive or crash the server.
    }
  }

  /** Swaps the certificate for new connections; established ones keep theirs. */
  updateCredentials(credentials: TlsCredentials): void {
    assertCredentials(credentials);
    this.server.setSecureContext(this.#contextOptions(credentials));
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.url;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `https://localhost:${this.port}`;
  }

  /** Authenticated connections currently open. */
  get openConnections(): number {
    return this.#watch.size;
  }

  async close(): Promise<void> {
    this.#watch.stop();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
