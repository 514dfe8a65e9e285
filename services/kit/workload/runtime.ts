/**
 * The composition root every mesh workload shares: identity, mTLS listener,
 * revocation sync, guarded routes, clients to its peers, logs and metrics.
 * A service supplies only its handlers (and the gateway its public port).
 */
import { readFileSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type MeshLogger } from '../log/logger.ts';
import { audit } from '../log/audit.ts';
import { createMeshMetrics, type MeshMetrics } from '../metrics/mesh-metrics.ts';
import { WorkloadIdentity } from '../identity/workload-identity.ts';
import { MeshClient, type MeshRequest, type MeshResponse } from '../mtls/client.ts';
import type { HandshakeEvent } from '../mtls/handshake-event.ts';
import type { PeerIdentity } from '../mtls/peer-identity.ts';
import { RevocationList } from '../mtls/revocation-list.ts';
import { MtlsServer } from '../mtls/server.ts';
import { CORRELATION_HEADER } from '../telemetry/correlation.ts';
import { createMeshRouter, type Guard, type Refusal, type RouteContext, type RouteHandler } from '../http/mesh-router.ts';
import { sendError, sendJson } from '../http/respond.ts';
import type { DecisionResource } from '../../pdp/decision-types.ts';
import { spiffeIdFor } from '../spiffe.ts';
import { TOPOLOGY, type RouteSpec, type ServiceName } from '../../topology.ts';
import type { WorkloadConfig } from './config.ts';
import { CrlSync } from './crl-sync.ts';
import { recordHandshake, recordRefusal } from './signals.ts';
import { createTokenPlane, type TokenPlane } from './token-plane.ts';
import { createPolicyPlane, type PolicyPlane } from './policy-plane.ts';

export interface PublicPortSpec {
  routes: readonly RouteSpec[];
  handlers: Record<string, RouteHandler>;
  guards?: Guard[];
}

export interface WorkloadSpec {
  config: WorkloadConfig;
  /** A workload enrols with its join token; the CA brings its own identity. */
  joinToken?: string;
  identity?: WorkloadIdentity;
  /** The CA keeps its revocation list itself. */
  revocation?: RevocationList;
  handlers: Record<string, RouteHandler>;
  /** Guards built once the workload's clients and identity exist (tokens, policy). */
  guards?: (workload: Workload) => Guard[];
  publicPort?: (workload: Workload) => PublicPortSpec;
}

// token_cert_mismatch too: a request that raced our own SVID rotation carried a token bound to the old certificate.
const STALE_ACCESS_TOKEN = new Set(['token_key_revoked', 'token_unknown_kid', 'token_expired', 'token_too_old', 'token_cert_mismatch']);

function errorCodeOf(res: MeshResponse): string {
  try {
    return String(res.json<{ error?: unknown }>().error);
  } catch {
    return '';
  }
}

export interface ReadyRecord {
  name: string;
  pid: number;
  spiffeId: string;
  url: string;
  publicUrl?: string;
  plaintextUrl?: string;
}

export class Workload {
  readonly name: string;
  readonly spiffeId: string;
  readonly config: WorkloadConfig;
  readonly logger: MeshLogger;
  readonly metrics: MeshMetrics;
  readonly identity: WorkloadIdentity;
  readonly revocation: RevocationList;
  readonly client: MeshClient;
  server!: MtlsServer;
  publicServer: MtlsServer | undefined;
  plaintextServer: http.Server | undefined;
  tokenPlane: TokenPlane | undefined;
  policyPlane: PolicyPlane | undefined;
  #crlSync: CrlSync | undefined;
  #closers: Array<() => Promise<void> | void> = [];

  constructor(config: WorkloadConfig, identity: WorkloadIdentity, revocation: RevocationList) {
    this.name = config.name;
    this.config = config;
    this.spiffeId = spiffeIdFor(config.name);
    this.identity = identity;
    this.revocation = revocation;
    this.logger = createLogger({ service: config.name, destination: join(config.stateDir, 'logs', `${config.name}.log`), logBodies: config.settings.logBodies });
    this.metrics = createMeshMetrics(config.name);
    this.metrics.setSvidExpirySource(() => identity.notAfter);
    this.client = new MeshClient({ credentials: identity.credentials, onHandshake: (e) => recordHandshake(this, e), userAgent: `meshgate-${config.name}`, revocation });
  }

  /** Calls another workload over mTLS, checking that it answers with that workload's SPIFFE ID. */
  call(peer: ServiceName, req: Omit<MeshRequest, 'url' | 'serverId'> & { path: string }, correlationHeader?: string): Promise<MeshResponse> {
    const base = this.config.peers[peer];
    if (!base) throw new TypeError(`${this.name} has no address for peer ${peer}`);
    const headers = { ...(req.headers ?? {}) };
    if (correlationHeader) headers[CORRELATION_HEADER] = correlationHeader;
    return this.client.request({ ...req, headers, url: new URL(req.path, base).href, serverId: spiffeIdFor(peer) });
  }

  /** Per-hop credentials added to downstream calls (access token, transaction token); set by the token plane. */
  outboundHeaders: (ctx: RouteContext, peer: ServiceName) => Promise<Record<string, string>> = async () => ({});

  /** Calls a downstream workload on behalf of an inbound request, carrying its correlation id and tokens. */
  async callDownstream(ctx: RouteContext, peer: ServiceName, req: Omit<MeshRequest, 'url' | 'serverId'> & { path: string }): Promise<MeshResponse> {
    const send = async () => this.call(peer, { ...req, headers: { ...(req.headers ?? {}), ...(await this.outboundHeaders(ctx, peer)) } }, ctx.correlationHeader);
    const res = await send();
    // A cached access token the callee no longer accepts (its key was revoked or rotated out) is dropped and
    // replaced once; the transaction token was not consumed because the access token is checked first.
    if (res.status === 401 && this.tokenPlane && STALE_ACCESS_TOKEN.has(errorCodeOf(res))) {
      this.tokenPlane.tokens.invalidate(spiffeIdFor(peer));
      return send();
    }
    return res;
  }

  /**
   * Asks the PDP whether this request may act on the resource. Without a PDP in
   * the mesh every authorized route is refused (fail closed).
   */
  async authorize(ctx: RouteContext, resource: DecisionResource): Promise<boolean> {
    if (this.policyPlane) return this.policyPlane.authorize(ctx, resource);
    sendError(ctx.res, 503, 'pdp_unavailable', ctx.requestId);
    return false;
  }

  onClose(fn: () => Promise<void> | void): void {
    this.#closers.push(fn);
  }

  startCrlSync(): Promise<void> {
    this.#crlSync = new CrlSync({
      caUrl: this.config.caUrl,
      client: () => this.client,
      revocation: this.revocation,
      intervalMs: this.config.settings.crlRefreshMs,
      onUpdate: (number) => this.logger.info({ crl_number: number, revoked: this.revocation.size }, 'CRL updated'),
      onError: (err) => this.logger.warn({ err: err.message }, 'CRL refresh failed'),
    });
    return this.#crlSync.ready();
  }

  async close(): Promise<void> {
    this.#crlSync?.stop();
    this.identity.stopAutoRenew();
    for (const fn of this.#closers.reverse()) await fn();
    await Promise.all([this.server?.close(), this.publicServer?.close(), new Promise<void>((r) => (this.plaintextServer ? this.plaintextServer.close(() => r()) : r()))]);
    this.plaintextServer?.closeAllConnections();
    this.client.close();
    this.logger.flush();
  }
}

function opsHandlers(workload: Workload): Record<string, RouteHandler> {
  return {
    'GET /healthz': ({ res }) =>
      sendJson(res, 200, {
        status: 'ok',
        service: workload.name,
        spiffeId: workload.spiffeId,
        svidNotAfter: new Date(workload.identity.notAfter).toISOString(),
        crlNumber: workload.revocation.number,
        ...(workload.tokenPlane ? { jwks: { version: workload.tokenPlane.jwks.version, kids: workload.tokenPlane.jwks.kids(), ...workload.tokenPlane.jwks.stats } } : {}),
      }),
    // "Rotate now": the operator forces an SVID renewal (the same path as the scheduled one).
    'POST /admin/renew-svid': async ({ req, res }) => {
      req.resume();
      await workload.identity.renew();
      sendJson(res, 200, { spiffeId: workload.spiffeId, serial: workload.identity.serial, notAfter: new Date(workload.identity.notAfter).toISOString() });
    },
    'GET /metrics': async ({ res }) => {
      const text = await workload.metrics.metrics();
      res.writeHead(200, { 'content-type': workload.metrics.registry.contentType });
      res.end(text);
    },
  };
}

function routerFor(workload: Workload, routes: readonly RouteSpec[], handlers: Record<string, RouteHandler>, guards: Guard[], enforceCallers: boolean): (req: IncomingMessage, res: ServerResponse, peer: PeerIdentity | undefined) => void {
  return createMeshRouter({
    routes,
    handlers,
    guards,
    enforceCallers,
    onRefusal: (ctx: RouteContext, refusal: Refusal) => recordRefusal(workload, ctx, refusal),
    onRequest: (r) => workload.metrics.observeHttpRequest({ route: r.routePattern === 'unmatched' ? undefined : r.routePattern, method: r.method, status: r.status, durationSeconds: r.durationSeconds }),
    onError: (ctx, err) => workload.logger.error({ request_id: ctx.requestId, route: ctx.route.action, err: (err as Error).message }, 'handler failed'),
  });
}

/** Workloads start alongside the CA: they wait (bounded) for the bundle it writes. */
const START_TIMEOUT_MS = 15_000;

async function readWhenPresent(path: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const text = readFileSync(path, 'utf8');
      if (text.includes('END CERTIFICATE')) return text;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (Date.now() > deadline) throw new Error(`trust bundle ${path} did not appear within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function untilLoaded(jwks: { refresh(): Promise<void>; size: number }, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await jwks.refresh();
      if (jwks.size > 0) return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the token service's JWKS could not be loaded: ${(err as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Writes the ready record atomically so the launcher never reads half a file. */
function writeReady(stateDir: string, record: ReadyRecord): void {
  const dir = join(stateDir, 'services');
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${record.name}.json.tmp`);
  writeFileSync(tmp, JSON.stringify(record, null, 2));
  renameSync(tmp, join(dir, `${record.name}.json`));
}

export async function startWorkload(spec: WorkloadSpec): Promise<Workload> {
  const { config } = spec;
  const bundlePem = await readWhenPresent(config.bundlePath, START_TIMEOUT_MS);
  const identity =
    spec.identity ??
    (await WorkloadIdentity.enrol(spec.joinToken ?? '', { caEnrolUrl: config.caEnrolUrl, caUrl: config.caUrl, bundlePem }));
  const revocation = spec.revocation ?? new RevocationList(bundlePem);
  const workload = new Workload(config, identity, revocation);
  audit(workload.logger, { event: 'svid_issued', spiffe_id: identity.spiffeId, serial: identity.serial, not_after: new Date(identity.notAfter).toISOString() });

  const routes = TOPOLOGY[config.name as ServiceName] ?? [];
  const handlers = { ...opsHandlers(workload), ...spec.handlers };
  // Fail closed: token-protected routes are never served without a way to verify tokens.
  if (routes.some((r) => r.token !== 'none') && !config.peers.sts) throw new Error(`${config.name} serves token-protected routes but has no token service (peers.sts) to verify them`);
  // Every workload that verifies or forwards tokens gets the token plane; the CA and the token service do not.
  if (config.peers.sts && config.name !== 'ca' && config.name !== 'sts') workload.tokenPlane = createTokenPlane(workload);
  if ((config.peers.pdp || config.settings.pdpEmbedded) && routes.some((r) => r.authorize)) workload.policyPlane = await createPolicyPlane(workload);
  const guards = [...(workload.tokenPlane ? [workload.tokenPlane.guard] : []), ...(spec.guards?.(workload) ?? [])];
  const peerPolicy = { revocation, checkRevocation: config.settings.checkRevocation, acceptExpired: config.settings.acceptExpiredCerts };
  workload.server = new MtlsServer({ credentials: identity.credentials, peerPolicy, onHandshake: (e: HandshakeEvent) => recordHandshake(workload, e) }, routerFor(workload, routes, handlers, guards, true));

  if (!spec.revocation) await workload.startCrlSync();
  // Ready means able to verify tokens: the token service's keys must be loaded first.
  if (workload.tokenPlane) await untilLoaded(workload.tokenPlane.jwks, START_TIMEOUT_MS);
  const url = await workload.server.listen(config.port);
  const ready: ReadyRecord = { name: config.name, pid: process.pid, spiffeId: workload.spiffeId, url };

  if (spec.publicPort) {
    const pub = spec.publicPort(workload);
    workload.publicServer = new MtlsServer(
      { credentials: identity.credentials, peerPolicy, requireClientCert: false, onHandshake: (e) => recordHandshake(workload, e) },
      routerFor(workload, pub.routes, pub.handlers, pub.guards ?? [], false),
    );
    ready.publicUrl = await workload.publicServer.listen(config.publicPort ?? 0);
  }

  if (config.settings.plaintextPort) {
    // The misconfiguration: the same routes, no TLS, no peer identity.
    const plain = routerFor(workload, routes, handlers, guards, false);
    workload.plaintextServer = http.createServer((req, res) => plain(req, res, undefined));
    await new Promise<void>((r) => workload.plaintextServer!.listen(config.plaintextPort ?? 0, '127.0.0.1', r));
    ready.plaintextUrl = `http://127.0.0.1:${(workload.plaintextServer.address() as AddressInfo).port}`;
    workload.logger.warn({ url: ready.plaintextUrl }, 'plaintext port open');
  }

  identity.on('rotated', (credentials) => {
    workload.server.updateCredentials(credentials);
    workload.publicServer?.updateCredentials(credentials);
    workload.client.updateCredentials(credentials);
    // Access tokens are bound to the certificate they were requested with.
    workload.tokenPlane?.tokens.clear();
    workload.metrics.svidRotations.inc();
    audit(workload.logger, { event: 'svid_rotated', spiffe_id: identity.spiffeId, serial: identity.serial, not_after: new Date(identity.notAfter).toISOString() });
  });
  identity.on('renewalFailed', (err) => workload.logger.error({ err: err.message }, 'SVID renewal failed'));
  identity.startAutoRenew();

  writeReady(config.stateDir, ready);
  workload.logger.info({ url, public_url: ready.publicUrl, spiffe_id: workload.spiffeId }, 'workload ready');
  return workload;
}
