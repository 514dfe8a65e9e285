/**
 * The workload's mTLS HTTP client: TLS 1.3 only, presents the current SVID and
 * checks that the server is the workload it meant to call (by SPIFFE ID, not by
 * host name). On rotation a new agent takes new requests while the old one
 * finishes its in-flight requests and is then closed, so no request is dropped.
 */
import { DEFAULT_TLS_GROUPS } from './key-exchange.ts';
import type { Clock } from '../clock.ts';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { X509Certificate } from 'node:crypto';
import { createSecureContext, type PeerCertificate, type SecureContext, type TLSSocket } from 'node:tls';
import { assertCredentials, type TlsCredentials } from './credentials.ts';
import type { ConnectionClosedEvent } from './connection-closed-event.ts';
import type { HandshakeEvent } from './handshake-event.ts';
import { PeerWatch, type WatchedPeer } from './peer-watch.ts';
import { checkSvidShape } from './peer-identity.ts';
import type { RevocationList } from './revocation-list.ts';
import { TRUST_DOMAIN } from '../spiffe.ts';

export interface MeshResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text(): string;
  json<T = unknown>(): T;
}

export interface MeshRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The SPIFFE ID the server must present; any valid SVID of the trust domain when absent. */
  serverId?: string;
  timeoutMs?: number;
}

export interface MeshClientOptions {
  credentials: TlsCredentials;
  trustDomain?: string;
  maxSockets?: number;
  onHandshake?: (event: HandshakeEvent) => void;
  userAgent?: string;
  /** Refuses servers whose certificate is on the CRL (revocation is checked on both ends). */
  revocation?: RevocationList;
  /** A pooled connection closed because the server's certificate was revoked or expired. */
  onConnectionClosed?: (event: ConnectionClosedEvent) => void;
  /** Decides when a pooled connection's server certificate has expired. */
  clock?: Clock;
  /** Key-exchange groups, most preferred first (default: hybrid post-quantum first, see key-exchange.ts). */
  groups?: string;
}

/** The agents of one set of credentials, one per expected server identity. */
interface Generation {
  credentials: TlsCredentials;
  /**
   * One secure context for every connection of the generation: given key, cert and ca instead,
   * tls.connect would parse them into a new context on each connection.
   */
  context: SecureContext;
  agents: Map<string, https.Agent>;
  inFlight: number;
  retired: boolean;
}

export class MeshClientError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MeshClientError';
    this.code = code;
  }
}

function buildResponse(status: number, headers: IncomingHttpHeaders, body: Buffer): MeshResponse {
  return {
    status,
    headers,
    body,
    text: () => body.toString('utf8'),
    json: <T>() => JSON.parse(body.toString('utf8')) as T,
  };
}

export class MeshClient {
  #current: Generation;
  #options: MeshClientOptions;
  #closed = false;
  readonly #watch: PeerWatch;
  /** Server certificates each agent authenticated; its cached TLS sessions resume on them. */
  readonly #agentPeers = new WeakMap<https.Agent, WatchedPeer[]>();
  readonly #unsubscribe: (() => void) | undefined;

  constructor(options: MeshClientOptions) {
    assertCredentials(options.credentials);
    this.#options = options;
    this.#watch = new PeerWatch({ role: 'client', revocation: options.revocation, onClosed: options.onConnectionClosed, clock: options.clock });
    this.#unsubscribe = options.revocation?.onUpdate(() => this.#dropRevokedAgents());
    this.#current = this.#generation(options.credentials);
  }

  #generation(credentials: TlsCredentials): Generation {
    const context = createSecureContext({ key: credentials.keyPem, cert: credentials.certPem, ca: credentials.bundlePem, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ecdhCurve: this.#options.groups ?? DEFAULT_TLS_GROUPS });
    return { credentials, context, agents: new Map(), inFlight: 0, retired: false };
  }

  /** Agents are per expected server: a per-request checkServerIdentity would defeat keep-alive. */
  #agentFor(generation: Generation, serverId: string | undefined): https.Agent {
    const key = serverId ?? '';
    let agent = generation.agents.get(key);
    if (agent) return agent;
    agent = new https.Agent({
      keepAlive: true,
      maxSockets: this.#options.maxSockets ?? 64,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      secureContext: generation.context,
      checkServerIdentity: (_host: string, cert: PeerCertificate) => this.#serverProblem(new X509Certificate(cert.raw), serverId),
    });
    generation.agents.set(key, agent);
    return agent;
  }

  /** Why the server on this certificate is not the one we meant to call, if it is not. */
  #serverProblem(cert: X509Certificate, serverId: string | undefined): MeshClientError | undefined {
    const shape = checkSvidShape(cert, this.#options.trustDomain ?? TRUST_DOMAIN);
    if (!shape.ok) return new MeshClientError('svid_invalid', `server certificate is not a valid SVID: ${shape.detail}`);
    if (serverId && shape.spiffeId !== serverId) return new MeshClientError('spiffe_id_not_allowed', `server is ${shape.spiffeId}, expected ${serverId}`);
    if (this.#options.revocation?.isRevoked(cert.serialNumber)) return new MeshClientError('cert_revoked', `server certificate ${cert.serialNumber} is revoked`);
    return undefined;
  }

  /** A resumed TLS session skips certificate checks, so an agent that met a now-revoked server certificate goes with its sessions. */
  #dropRevokedAgents(): void {
    for (const [key, agent] of this.#current.agents) {
      if (!this.#agentPeers.get(agent)?.some((p) => this.#options.revocation!.isRevoked(p.serial))) continue;
      agent.destroy();
      this.#current.agents.delete(key);
    }
  }

  #destroy(generation: Generation): void {
    for (const agent of generation.agents.values()) agent.destroy();
    generation.agents.clear();
  }

  /** Switches to new credentials; the previous agents close once their requests finish. */
  updateCredentials(credentials: TlsCredentials): void {
    assertCredentials(credentials);
    const previous = this.#current;
    this.#current = this.#generation(credentials);
    previous.retired = true;
    if (previous.inFlight === 0) this.#destroy(previous);
  }

  async request(req: MeshRequest): Promise<MeshResponse> {
    if (this.#closed) throw new MeshClientError('MESHGATE_ERR_CLIENT_CLOSED', 'client is closed');
    const generation = this.#current;
    generation.inFlight += 1;
    try {
      try {
        return await this.#send(this.#agentFor(generation, req.serverId), req);
      } catch (err) {
        // The server closed an idle keep-alive connection just as we reused it: the request never
        // reached a handler, so sending it once more on a fresh connection is safe.
        if (!(err as { staleSocket?: boolean }).staleSocket) throw err;
        return await this.#send(this.#agentFor(generation, req.serverId), req);
      }
    } finally {
      generation.inFlight -= 1;
      if (generation.retired && generation.inFlight === 0) this.#destroy(generation);
    }
  }

  #send(agent: https.Agent, req: MeshRequest): Promise<MeshResponse> {
    const url = new URL(req.url);
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    if (this.#options.userAgent && !headers['user-agent']) headers['user-agent'] = this.#options.userAgent;
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    return new Promise<MeshResponse>((resolve, reject) => {
      let responded = false;
      const started = performance.timeOrigin + performance.now();
      const request = https.request(
        {
          agent,
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method: req.method ?? 'GET',
          headers,
        },
        (res) => {
          responded = true;
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(buildResponse(res.statusCode ?? 0, res.headers, Buffer.concat(chunks))));
          res.on('error', reject);
        },
      );
      request.on('socket', (socket) => {
        const tls = socket as TLSSocket;
        if ((request as unknown as { reusedSocket?: boolean }).reusedSocket) return;
        tls.once('secureConnect', () => {
          const cert = tls.getPeerX509Certificate();
          const seen = this.#agentPeers.get(agent) ?? [];
          const spiffeId = cert ? checkSvidShape(cert, this.#options.trustDomain ?? TRUST_DOMAIN).spiffeId : undefined;
          // A resumed session shows no certificate: it rests on the one this agent authenticated before.
          const peer = cert && spiffeId ? { spiffeId, serial: cert.serialNumber, notAfterMs: Date.parse(cert.validTo) } : seen.at(-1);
          if (cert && peer) this.#agentPeers.set(agent, [...seen.filter((p) => p.serial !== peer.serial), peer].slice(-8));
          if (peer) this.#watch.watch(tls, peer);
          const endTime = performance.timeOrigin + performance.now();
          const event: HandshakeEvent = {
            role: 'client',
            ok: true,
            remoteAddress: url.host,
            resumed: tls.isSessionReused(),
            startTime: started,
            endTime,
            durationSeconds: (endTime - started) / 1000,
          };
          const protocol = tls.getProtocol();
          if (protocol) event.protocol = protocol;
          const cipher = tls.getCipher();
          if (cipher) event.cipher = cipher.standardName ?? cipher.name;
          this.#options.onHandshake?.(event);
        });
      });
      request.setTimeout(req.timeoutMs ?? 10_000, () => request.destroy(new MeshClientError('MESHGATE_ERR_TIMEOUT', `request to ${url.origin}${url.pathname} timed out`)));
      request.on('error', (err: NodeJS.ErrnoException) => {
        const reused = (request as unknown as { reusedSocket?: boolean }).reusedSocket === true;
        if (reused && !responded && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) Object.assign(err, { staleSocket: true });
        reject(err);
      });
      if (req.body !== undefined) request.end(req.body);
      else request.end();
    });
  }

  /** Pooled connections whose server certificate is being watched. */
  get openConnections(): number {
    return this.#watch.size;
  }

  close(): void {
    this.#closed = true;
    this.#watch.stop();
    this.#unsubscribe?.();
    this.#destroy(this.#current);
  }
}
