/**
 * The composition root every mesh workload shares: identity, mTLS listener,
 * revocation sync, the token and policy planes, guarded routes, clients to its
 * peers, logs and metrics. A service supplies only its handlers (and the
 * gateway its public port); the planes get narrow dependencies and hand back
 * what is composed here: a guard, outbound headers, an authorizer, health.
 */
import { readFileSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../clock.ts';
import { createLogger, type MeshLogger } from '../log/logger.ts';
import { audit } from '../log/audit.ts';
import { createMeshMetrics, type MeshMetrics } from '../metrics/mesh-metrics.ts';
import { WorkloadIdentity, type IdentityOptions } from '../identity/workload-identity.ts';
import { MeshClient, type MeshResponse } from '../mtls/client.ts';
import type { PeerIdentity } from '../mtls/peer-identity.ts';
import { RevocationList } from '../mtls/revocation-list.ts';
import { MtlsServer } from '../mtls/server.ts';
import { CORRELATION_HEADER } from '../telemetry/correlation.ts';
import { createMeshRouter, requirePeer, type Guard, type MtlsRouteHandler, type RouteContext, type RouteHandler } from '../http/mesh-router.ts';
import { sendJson } from '../http/respond.ts';
import type { DecideFn } from '../pep/policy-enforcer.ts';
import { spiffeIdFor } from '../spiffe.ts';
import { statePaths } from '../state-layout.ts';
import { descriptorOf, PUBLIC_ROUTES, routesOf, type RouteSpec, type ServiceName } from '../../topology.ts';
import type { WorkloadConfig } from './config.ts';
import { CrlSync } from './crl-sync.ts';
import { forwardedPeer } from '../mtls/forwarded-client-cert.ts';
import { DependencyUnavailable, isUnreachable } from '../http/dependency-error.ts';
import type { PeerCall, PeerRequest } from './peer-call.ts';
import { createSignals, type Signals } from './signals.ts';
import { createTokenPlane, type TokenPlane } from './token-plane.ts';
import { createPolicyPlane, type PolicyPlane } from './policy-plane.ts';

// Required, not imported: node:http's ESM facade reads every export, and three of them load undici
// (about 40 ms of CPU in every workload, which never uses it). The module object is the same one.
const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');

/** The second listener's handlers and guards; its routes are the ones the workload's descriptor declares. */
export interface PublicPortSpec {
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
  /** The handlers of the workload's topology routes, given the workload they serve; they always see the peer. */
  handlers: (workload: Workload) => Record<string, MtlsRouteHandler>;
  publicPort?: (workload: Workload) => PublicPortSpec;
  /** The in-process decision point for the pdpEmbedded setting. */
  embeddedPdp?: () => Promise<DecideFn>;
  /** Decides every expiry and schedules every rotation (tests move it). */
  clock?: Clock;
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

interface WorkloadParts {
  config: WorkloadConfig;
  clock: Clock;
  identity: WorkloadIdentity;
  revocation: RevocationList;
  logger: MeshLogger;
  metrics: MeshMetrics;
  signals: Signals;
  client: MeshClient;
  tokenPlane: TokenPlane | undefined;
  policyPlane: PolicyPlane | undefined;
}

export class Workload {
  readonly name: string;
  readonly spiffeId: string;
  readonly config: WorkloadConfig;
  readonly clock: Clock;
  readonly logger: MeshLogger;
  readonly metrics: MeshMetrics;
  readonly identity: WorkloadIdentity;
  readonly revocation: RevocationList;
  readonly client: MeshClient;
  readonly signals: Signals;
  readonly tokenPlane: TokenPlane | undefined;
  readonly policyPlane: PolicyPlane | undefined;
  #server: MtlsServer | undefined;
  publicServer: MtlsServer | undefined;
  plaintextServer: Server | undefined;
  #crlSync: CrlSync | undefined;
  #call: ReturnType<typeof peerCall>;
  #closers: Array<() => Promise<void> | void> = [];

  constructor(parts: WorkloadParts) {
    this.name = parts.config.name;
    this.spiffeId = spiffeIdFor(parts.config.name);
    this.config = parts.config;
    this.clock = parts.clock;
    this.identity = parts.identity;
    this.revocation = parts.revocation;
    this.logger = parts.logger;
    this.metrics = parts.metrics;
    this.signals = parts.signals;
    this.client = parts.client;
    this.tokenPlane = parts.tokenPlane;
    this.policyPlane = parts.policyPlane;
    this.#call = peerCall(parts.config, parts.client);
  }

  /** The mTLS listener; present once the workload has started. */
  get server(): MtlsServer {
    if (!this.#server) throw new Error(`${this.name} has not started its mTLS listener`);
    return this.#server;
  }

  set server(server: MtlsServer) {
    this.#server = server;
  }

  /** Calls another workload over mTLS, checking that it answers with that workload's SPIFFE ID. */
  call(peer: ServiceName, req: PeerRequest, correlationHeader?: string): Promise<MeshResponse> {
    return this.#call(peer, req, correlationHeader);
  }

  /** Calls a downstream workload on behalf of an inbound request, carrying its correlation id and tokens. */
  async callDownstream(ctx: RouteContext, peer: ServiceName, req: PeerRequest): Promise<MeshResponse> {
    const outbound = async () => (this.tokenPlane ? this.tokenPlane.outboundHeaders(ctx, peer) : {});
    const send = async () => this.call(peer, { ...req, headers: { ...(req.headers ?? {}), ...(await outbound()) } }, ctx.correlationHeader);
    const res = await send();
    // A cached access token the callee no longer accepts (its key was revoked or rotated out) is dropped and
    // replaced once; the transaction token was not consumed because the access token is checked first.
    if (res.status === 401 && this.tokenPlane && STALE_ACCESS_TOKEN.has(errorCodeOf(res))) {
      this.tokenPlane.invalidate(peer);
      return send();
    }
    return res;
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
      longPoll: this.config.settings.crlLongPoll,
      onUpdate: (number) => this.logger.info({ crl_number: number, revoked: this.revocation.size }, 'CRL updated'),
      onError: (err) => this.logger.warn({ err: err.message }, 'CRL refresh failed'),
    });
    return this.#crlSync.ready();
  }

  async close(): Promise<void> {
    this.#crlSync?.stop();
    this.identity.stopAutoRenew();
    this.tokenPlane?.close();
    for (const fn of this.#closers.reverse()) await fn();
    await Promise.all([this.#server?.close(), this.publicServer?.close(), new Promise<void>((r) => (this.plaintextServer ? this.plaintextServer.close(() => r()) : r()))]);
    this.plaintextServer?.closeAllConnections();
    this.client.close();
    this.logger.flush();
  }
}

/** The one way a workload reaches a peer: by service name, at its configured address, checked against its SPIFFE ID. */
function peerCall(config: WorkloadConfig, client: MeshClient): (peer: ServiceName, req: PeerRequest, correlationHeader?: string) => Promise<MeshResponse> {
  return (peer, req, correlationHeader) => {
    const base = config.peers[peer];
    if (!base) return Promise.reject(new TypeError(`${config.name} has no address for peer ${peer}`));
    const headers = { ...(req.headers ?? {}) };
    if (correlationHeader) headers[CORRELATION_HEADER] = correlationHeader;
    const sent = client.request({ ...req, headers, url: new URL(req.path, base).href, serverId: spiffeIdFor(peer) });
    // A peer that cannot be reached (down, or its certificate refused) is a 503 with a reason, not a generic 500.
    return sent.catch((err: unknown) => {
      if (!isUnreachable(err)) throw err;
      const reason = peer === 'sts' || peer === 'ca' ? (`${peer}_unavailable` as const) : 'upstream_unavailable';
      throw new DependencyUnavailable(reason, `${peer} unreachable: ${(err as Error).message}`, { cause: err });
    });
  };
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
        ...workload.tokenPlane?.health(),
      }),
    // "Rotate now": the operator forces an SVID renewal (the same path as the scheduled one).
    'POST /admin/renew-svid': async ({ req, res }) => {
      req.resume();
      await workload.identity.renew().catch((err: unknown) => {
        throw isUnreachable(err) ? new DependencyUnavailable('ca_unavailable', `CA unreachable: ${(err as Error).message}`, { cause: err }) : err;
      });
      sendJson(res, 200, { spiffeId: workload.spiffeId, serial: workload.identity.serial, notAfter: new Date(workload.identity.notAfter).toISOString() });
    },
    'GET /metrics': async ({ res }) => {
      const text = await workload.metrics.metrics();
      res.writeHead(200, { 'content-type': workload.metrics.registry.contentType });
      res.end(text);
    },
  };
}

/** The weak-internal-trust mutant: a forwarded-certificate header stands in for the TLS peer. */
function trustingForwardedCert(workload: Workload, route: ReturnType<typeof routerFor>): ReturnType<typeof routerFor> {
  if (!workload.config.settings.trustForwardedClientCert) return route;
  return (req, res, peer) => route(req, res, forwardedPeer(req) ?? peer);
}

function routerFor(workload: Workload, routes: readonly RouteSpec[], handlers: Record<string, RouteHandler>, guards: Guard[], enforceCallers: boolean): (req: IncomingMessage, res: ServerResponse, peer: PeerIdentity | undefined) => void {
  return createMeshRouter({
    routes,
    handlers,
    guards,
    enforceCallers,
    // Without a policy plane the router refuses every authorization (fail closed).
    ...(workload.policyPlane ? { authorize: workload.policyPlane.authorize } : {}),
    onRefusal: (ctx, refusal) => workload.signals.refusal(ctx, refusal),
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

/** Writes the ready record atomically so the launcher never reads half a file. */
function writeReady(stateDir: string, record: ReadyRecord): void {
  const paths = statePaths(stateDir);
  mkdirSync(paths.services, { recursive: true });
  const tmp = `${paths.ready(record.name)}.tmp`;
  writeFileSync(tmp, JSON.stringify(record, null, 2));
  renameSync(tmp, paths.ready(record.name));
}

/** The misconfiguration of staticSvidFile: a certificate and key from a file, whoever they were issued to. */
function staticIdentity(path: string, bundlePem: string, options: IdentityOptions): WorkloadIdentity {
  const pem = readFileSync(path, 'utf8');
  const certPem = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/)?.[0];
  const keyPem = pem.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----\n?/)?.[0];
  if (!certPem || !keyPem) throw new TypeError(`staticSvidFile ${path}: needs a PEM certificate and a PEM private key`);
  return WorkloadIdentity.fromCredentials({ certPem, keyPem, bundlePem }, options);
}

/** Builds the workload and its planes from narrow parts; nothing is listening yet. */
async function composeWorkload(spec: WorkloadSpec, bundlePem: string): Promise<Workload> {
  const { config } = spec;
  const clock = spec.clock ?? systemClock;
  const spiffeId = spiffeIdFor(config.name);
  const routes = routesOf(config.name);
  // Fail closed: token-protected routes are never served without a way to verify tokens.
  if (routes.some((r) => r.token !== 'none') && !config.peers.sts) throw new Error(`${config.name} serves token-protected routes but has no token service (peers.sts) to verify them`);
  const identityOptions = { caEnrolUrl: config.caEnrolUrl, caUrl: config.caUrl, bundlePem, clock };
  const identity =
    spec.identity ??
    (config.settings.staticSvidFile ? staticIdentity(config.settings.staticSvidFile, bundlePem, identityOptions) : await WorkloadIdentity.enrol(spec.joinToken ?? '', identityOptions));
  const revocation = spec.revocation ?? new RevocationList(bundlePem);
  const logger = createLogger({ service: config.name, destination: statePaths(config.stateDir).log(config.name), logBodies: config.settings.logBodies });
  const metrics = createMeshMetrics(config.name);
  metrics.setSvidExpirySource(() => identity.notAfter, clock);
  const signals = createSignals({ spiffeId, metrics, logger });
  const client = new MeshClient({ credentials: identity.credentials, onHandshake: signals.handshake, onConnectionClosed: signals.connectionClosed, userAgent: `meshgate-${config.name}`, revocation, clock, groups: config.settings.tlsGroups });
  const call: PeerCall = peerCall(config, client);
  const { settings } = config;
  // Every workload that verifies or forwards tokens gets the token plane; the CA and the token service do not.
  const tokenPlane = config.peers.sts && config.name !== 'ca' && config.name !== 'sts' ? createTokenPlane({ spiffeId, settings, metrics, logger, clock, call, revocation }) : undefined;
  const policyPlaneDeps = { settings, metrics, logger, clock, call, ...(spec.embeddedPdp ? { embedded: spec.embeddedPdp } : {}) };
  const policyPlane = (config.peers.pdp || settings.pdpEmbedded) && routes.some((r) => r.authorize) ? await createPolicyPlane(policyPlaneDeps) : undefined;
  return new Workload({ config, clock, identity, revocation, logger, metrics, signals, client, tokenPlane, policyPlane });
}

export async function startWorkload(spec: WorkloadSpec): Promise<Workload> {
  const { config } = spec;
  const bundlePem = await readWhenPresent(config.bundlePath, START_TIMEOUT_MS);
  const workload = await composeWorkload(spec, bundlePem);
  const { identity, revocation, tokenPlane, signals } = workload;
  audit(workload.logger, { event: 'svid_issued', spiffe_id: identity.spiffeId, serial: identity.serial, not_after: new Date(identity.notAfter).toISOString() });

  const routes = routesOf(config.name);
  // The workload's own handlers are typed with a peer, so they are served only where one was authenticated.
  const own = Object.entries(spec.handlers(workload)).map(([action, handler]) => [action, requirePeer(handler)] as const);
  const handlers = { ...opsHandlers(workload), ...Object.fromEntries(own) };
  const guards = tokenPlane ? [tokenPlane.guard] : [];
  const peerPolicy = { revocation, checkRevocation: config.settings.checkRevocation, acceptExpired: config.settings.acceptExpiredCerts };
  workload.server = new MtlsServer({ credentials: identity.credentials, peerPolicy, onHandshake: signals.handshake, onConnectionClosed: signals.connectionClosed, clock: workload.clock, groups: config.settings.tlsGroups }, trustingForwardedCert(workload, routerFor(workload, routes, handlers, guards, true)));

  if (!spec.revocation) await workload.startCrlSync();
  // Ready means able to verify tokens: the token service's keys must be loaded first.
  if (tokenPlane) await tokenPlane.ready(START_TIMEOUT_MS);
  const url = await workload.server.listen(config.port, config.listenHost);
  const ready: ReadyRecord = { name: config.name, pid: process.pid, spiffeId: workload.spiffeId, url };

  const publicKind = descriptorOf(config.name).publicPort;
  if (Boolean(publicKind) !== Boolean(spec.publicPort)) throw new Error(`${config.name}: the topology ${publicKind ? `declares a ${publicKind} port the workload does not serve` : 'declares no public port, yet the workload serves one'}`);
  if (publicKind && spec.publicPort) {
    const pub = spec.publicPort(workload);
    workload.publicServer = new MtlsServer({ credentials: identity.credentials, peerPolicy, requireClientCert: false, onHandshake: signals.handshake, groups: config.settings.tlsGroups }, routerFor(workload, PUBLIC_ROUTES[publicKind], pub.handlers, pub.guards ?? [], false));
    ready.publicUrl = await workload.publicServer.listen(config.publicPort ?? 0, config.listenHost);
  }

  if (config.settings.plaintextPort) {
    // The misconfiguration: the same routes, no TLS, no peer identity.
    const plain = trustingForwardedCert(workload, routerFor(workload, routes, handlers, guards, !workload.config.settings.trustForwardedClientCert));
    const plaintext = http.createServer((req, res) => plain(req, res, undefined));
    workload.plaintextServer = plaintext;
    await new Promise<void>((r) => plaintext.listen(config.plaintextPort ?? 0, config.listenHost ?? '127.0.0.1', r));
    ready.plaintextUrl = `http://127.0.0.1:${(plaintext.address() as AddressInfo).port}`;
    workload.logger.warn({ url: ready.plaintextUrl }, 'plaintext port open');
  }

  identity.on('rotated', (credentials) => {
    workload.server.updateCredentials(credentials);
    workload.publicServer?.updateCredentials(credentials);
    workload.client.updateCredentials(credentials);
    tokenPlane?.onCredentialsRotated();
    workload.metrics.svidRotations.inc();
    audit(workload.logger, { event: 'svid_rotated', spiffe_id: identity.spiffeId, serial: identity.serial, not_after: new Date(identity.notAfter).toISOString() });
  });
  identity.on('renewalFailed', (err) => workload.logger.error({ err: err.message }, 'SVID renewal failed'));
  if (!workload.config.settings.staticSvidFile) identity.startAutoRenew();

  writeReady(config.stateDir, ready);
  workload.logger.info({ url, public_url: ready.publicUrl, spiffe_id: workload.spiffeId }, 'workload ready');
  return workload;
}
