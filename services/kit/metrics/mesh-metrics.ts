/**
 * One prom-client registry per workload: default process metrics plus the
 * mesh's security metrics. Names use the `meshgate_` prefix and base units;
 * labels are low-cardinality by construction (route patterns, reason codes).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GaugeConfiguration } from 'prom-client';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { descriptorOf, isServiceName, PUBLIC_ROUTES, TOPOLOGY } from '../../topology.ts';

/** 10 µs .. 1 s: a resumed loopback handshake is ~1 ms, a slow full one tens of ms. */
export const HANDSHAKE_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
/** Sub-millisecond: a cached Cedar decision is ~76 µs. */
export const PDP_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25];
export const HTTP_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Route label for a request that matched no declared route: raw paths never become label values. */
export const UNMATCHED_ROUTE = 'unmatched';
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** prom-client's default gauges ending in `_total` fail `promtool check metrics`; the per-type gauges carry the same data. */
const NON_COUNTER_TOTALS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * A gauge read from a callback at scrape time. While the callback has no
 * value the gauge shows no sample: prom-client would otherwise emit 0 for an
 * unlabelled gauge, which for SVID expiry reads as "expired".
 */
class CallbackGauge extends Gauge {
  readonly #read: () => number | undefined;
  constructor(config: GaugeConfiguration<string>, read: () => number | undefined) {
    super(config);
    this.#read = read;
  }
  override async get(): ReturnType<Gauge['get']> {
    const value = this.#read();
    if (value === undefined || !Number.isFinite(value)) return { ...(await super.get()), values: [] };
    this.set(value);
    return super.get();
  }
}

export type HandshakeRole = 'server' | 'client';
export type JwksEvent = 'rotated' | 'revoked' | 'refreshed' | 'refresh_failed';

export interface HttpObservation {
  /** The matched route pattern (e.g. "/entries/:id"); undefined when none matched. */
  route: string | undefined;
  method: string;
  status: number;
  durationSeconds: number;
}

export interface MeshMetrics {
  registry: Registry;
  service: string;
  tlsHandshakeDuration: Histogram<'role' | 'result' | 'resumed'>;
  tlsHandshakeFailures: Counter<'reason'>;
  /** Open connections closed because the peer's certificate was revoked or expired. */
  tlsConnectionsClosed: Counter<'role' | 'reason'>;
  /** Logins refused by the brute-force throttle, by the limit that tripped (user or client). */
  loginThrottled: Counter<'scope'>;
  /** Requests refused by a per-caller rate limit, by route pattern. */
  rateLimited: Counter<'route'>;
  sealedCards: Counter<'result' | 'reason'>;
  sealedCardsOpened: Counter<'kid'>;
  /** Data keys handed out, unwrapped or rewrapped by the key-management workload, by key version, result and reason code. */
  kmsOperations: Counter<'operation' | 'version' | 'result' | 'reason'>;
  tokenVerifications: Counter<'result' | 'reason'>;
  authzDecisions: Counter<'decision' | 'reason'>;
  pdpRequestDuration: Histogram<'result'>;
  svidExpiry: Gauge;
  svidRotations: Counter;
  jwksEvents: Counter<'event'>;
  replayCacheEntries: Gauge;
  httpRequests: Counter<'route' | 'method' | 'status'>;
  httpRequestDuration: Histogram<'route' | 'method'>;
  /** The SVID's notAfter is read at every scrape; returning undefined leaves the gauge without a sample. */
  setSvidExpirySource(source: () => Date | number | undefined, clock?: Clock): void;
  /** The replay cache size is read at every scrape. */
  setReplayCacheSource(source: () => number): void;
  /** Records one served request with route and method normalised to bounded label values. */
  observeHttpRequest(observation: HttpObservation): void;
  /** The label value a route gets: itself when declared, otherwise "unmatched". */
  routeLabel(route: string | undefined): string;
  /** Prometheus text exposition of the registry. */
  metrics(): Promise<string>;
}

export interface CreateMeshMetricsOptions {
  /** Route patterns allowed as label values; defaults to the service's routes in the topology. */
  routes?: readonly string[];
  /** Whether to collect prom-client's default process and Node.js metrics (default true). */
  defaultMetrics?: boolean;
}

function topologyRoutes(service: string): string[] | undefined {
  if (!isServiceName(service)) return undefined;
  const publicPort = descriptorOf(service).publicPort;
  return [...TOPOLOGY[service], ...(publicPort ? PUBLIC_ROUTES[publicPort] : [])].map((r) => r.path);
}

export function createMeshMetrics(service: string, options: CreateMeshMetricsOptions = {}): MeshMetrics {
  if (typeof service !== 'string' || !/^[a-z0-9][a-z0-9\-_.]*$/.test(service)) throw new TypeError(`createMeshMetrics: service must be a workload name, got ${JSON.stringify(service)}`);
  if (options.routes !== undefined && (!Array.isArray(options.routes) || options.routes.some((r) => typeof r !== 'string' || !r.startsWith('/')))) {
    throw new TypeError('createMeshMetrics: options.routes must be an array of path patterns starting with "/"');
  }
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    for (const name of NON_COUNTER_TOTALS) if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
  }
  const registers = [registry];

  const tlsHandshakeDuration = new Histogram({
    name: 'meshgate_tls_handshake_duration_seconds',
    help: 'Duration of TLS handshakes, from TCP connect or accept to secure connection.',
    labelNames: ['role', 'result', 'resumed'] as const,
    buckets: HANDSHAKE_BUCKETS,
    registers,
  });
  const tlsHandshakeFailures = new Counter({
    name: 'meshgate_tls_handshake_failures_total',
    help: 'TLS handshakes or peer identity checks that failed, by reason code.',
    labelNames: ['reason'] as const,
    registers,
  });
  const tlsConnectionsClosed = new Counter({
    name: 'meshgate_tls_connections_closed_total',
    help: 'Open TLS connections closed because the peer certificate was revoked or expired, by role and reason code.',
    labelNames: ['role', 'reason'] as const,
    registers,
  });
  const loginThrottled = new Counter({
    name: 'meshgate_login_throttled_total',
    help: 'Logins refused by the brute-force throttle, by the limit that tripped (user or client).',
    labelNames: ['scope'] as const,
    registers,
  });
  const sealedCards = new Counter({
    name: 'meshgate_sealed_cards_total',
    help: 'Cards sealed end to end for payments (JWE), by result (opened or refused) and reason code.',
    labelNames: ['result', 'reason'] as const,
    registers,
  });
  const sealedCardsOpened = new Counter({
    name: 'meshgate_sealed_cards_opened_total',
    help: 'Sealed cards opened, by the encryption key they were sealed for: a retired key may go once its count stops rising.',
    labelNames: ['kid'] as const,
    registers,
  });
  const kmsOperations = new Counter({
    name: 'meshgate_kms_operations_total',
    help: 'Data-key operations of the key-management workload (generate, unwrap, rewrap), by wrapping-key version, result (ok or refused) and reason code.',
    labelNames: ['operation', 'version', 'result', 'reason'] as const,
    registers,
  });
  const rateLimited = new Counter({
    name: 'meshgate_rate_limited_total',
    help: 'Requests refused by a per-caller rate limit, by route pattern.',
    labelNames: ['route'] as const,
    registers,
  });
  const tokenVerifications = new Counter({
    name: 'meshgate_token_verifications_total',
    help: 'Token verifications by result (valid or rejected) and reason code.',
    labelNames: ['result', 'reason'] as const,
    registers,
  });
  const authzDecisions = new Counter({
    name: 'meshgate_authz_decisions_total',
    help: 'Authorization decisions enforced, by decision (allow or deny) and reason code.',
    labelNames: ['decision', 'reason'] as const,
    registers,
  });
  const pdpRequestDuration = new Histogram({
    name: 'meshgate_pdp_request_duration_seconds',
    help: 'Time to obtain a policy decision, including the cache.',
    labelNames: ['result'] as const,
    buckets: PDP_BUCKETS,
    registers,
  });
  let expirySource: (() => Date | number | undefined) | undefined;
  let expiryClock: Clock = systemClock;
  const svidExpiry = new CallbackGauge(
    {
      name: 'meshgate_svid_expiry_seconds',
      help: 'Seconds until the workload X.509-SVID expires (negative once expired).',
      registers,
    },
    () => {
      const notAfter = expirySource?.();
      if (notAfter === undefined) return undefined;
      return ((notAfter instanceof Date ? notAfter.getTime() : notAfter) - expiryClock.now()) / 1000;
    },
  );
  const svidRotations = new Counter({
    name: 'meshgate_svid_rotations_total',
    help: 'X.509-SVID rotations completed by this workload.',
    registers,
  });
  const jwksEvents = new Counter({
    name: 'meshgate_jwks_events_total',
    help: 'Signing key events: rotated, revoked, refreshed, refresh_failed.',
    labelNames: ['event'] as const,
    registers,
  });
  let replaySource: (() => number) | undefined;
  const replayCacheEntries = new CallbackGauge({ name: 'meshgate_replay_cache_entries', help: 'Token ids held in the replay cache.', registers }, () => replaySource?.());
  const httpRequests = new Counter({
    name: 'meshgate_http_requests_total',
    help: 'HTTP requests served, by route pattern, method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    registers,
  });
  const httpRequestDuration = new Histogram({
    name: 'meshgate_http_request_duration_seconds',
    help: 'Time to serve HTTP requests, by route pattern and method.',
    labelNames: ['route', 'method'] as const,
    buckets: HTTP_BUCKETS,
    registers,
  });

  const declared = options.routes ?? topologyRoutes(service);
  const known = declared ? new Set(declared) : undefined;
  const routeLabel = (route: string | undefined): string => {
    if (route === undefined || route === '') return UNMATCHED_ROUTE;
    if (known) return known.has(route) ? route : UNMATCHED_ROUTE;
    return route;
  };

  return {
    registry,
    service,
    tlsHandshakeDuration,
    tlsHandshakeFailures,
    tlsConnectionsClosed,
    loginThrottled,
    rateLimited,
    sealedCards,
    sealedCardsOpened,
    kmsOperations,
    tokenVerifications,
    authzDecisions,
    pdpRequestDuration,
    svidExpiry,
    svidRotations,
    jwksEvents,
    replayCacheEntries,
    httpRequests,
    httpRequestDuration,
    setSvidExpirySource(source, clock = systemClock) {
      if (typeof source !== 'function') throw new TypeError('setSvidExpirySource: source must be a function returning the notAfter time');
      expirySource = source;
      expiryClock = clock;
    },
    setReplayCacheSource(source) {
      if (typeof source !== 'function') throw new TypeError('setReplayCacheSource: source must be a function returning the entry count');
      replaySource = source;
    },
    observeHttpRequest(o) {
      if (o === null || typeof o !== 'object') throw new TypeError('observeHttpRequest: observation must be an object');
      if (!Number.isInteger(o.status) || o.status < 100 || o.status > 599) throw new TypeError(`observeHttpRequest: status must be an HTTP status code, got ${String(o.status)}`);
      if (typeof o.durationSeconds !== 'number' || !Number.isFinite(o.durationSeconds) || o.durationSeconds < 0) throw new TypeError('observeHttpRequest: durationSeconds must be a finite non-negative number');
      const method = typeof o.method === 'string' && METHODS.has(o.method) ? o.method : 'OTHER';
      const route = routeLabel(o.route);
      httpRequests.inc({ route, method, status: String(o.status) });
      httpRequestDuration.observe({ route, method }, o.durationSeconds);
    },
    routeLabel,
    metrics: () => registry.metrics(),
  };
}
