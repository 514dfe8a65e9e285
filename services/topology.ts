/**
 * The reference mesh: its workloads and their declared edges (which workload
 * may call which route). mTLS enforces the caller lists (spiffe_id_not_allowed),
 * the PDP's policies permit exactly these edges, and `meshgate policy check`
 * reports any permit that this file does not declare. Adding a workload means
 * its folder (handlers and main.ts), an entry in WORKLOADS and ROUTES here, and
 * the policies for its authorized routes.
 */
import { spiffeIdFor } from './kit/spiffe.ts';

/** What the launcher and the runtime need to know of a workload. */
export interface WorkloadDescriptor {
  name: string;
  /** The process entry, relative to services/. */
  entry: string;
  /** A second listener beside the mTLS port: the CA's enrolment port, the gateway's public HTTPS port. */
  publicPort?: 'enrolment' | 'https';
  /** The trust root: it issues every other SVID, starts first and keeps its settings for the run. */
  trustRoot?: boolean;
}

/** The one list of workloads, in start order. */
export const WORKLOADS = [
  { name: 'ca', entry: 'ca/main.ts', publicPort: 'enrolment', trustRoot: true },
  { name: 'sts', entry: 'sts/main.ts' },
  { name: 'pdp', entry: 'pdp/main.ts' },
  { name: 'kms', entry: 'kms/main.ts' },
  { name: 'ledger', entry: 'ledger/main.ts' },
  { name: 'payments', entry: 'payments/main.ts' },
  { name: 'gateway', entry: 'gateway/main.ts', publicPort: 'https' },
] as const satisfies readonly WorkloadDescriptor[];

export type ServiceName = (typeof WORKLOADS)[number]['name'];
export const SERVICE_NAMES: readonly ServiceName[] = WORKLOADS.map((w) => w.name);
export const TRUST_ROOT: ServiceName = WORKLOADS.find((w) => 'trustRoot' in w)!.name;
/** The workloads the trust root enrols. */
export const MESH_WORKLOADS: readonly ServiceName[] = SERVICE_NAMES.filter((n) => n !== TRUST_ROOT);

export function isServiceName(name: string): name is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(name);
}

export function descriptorOf(name: string): WorkloadDescriptor {
  const found = WORKLOADS.find((w) => w.name === name);
  if (!found) throw new TypeError(`unknown workload ${JSON.stringify(name)}: the mesh has ${SERVICE_NAMES.join(', ')}`);
  return found;
}

/** The harness acts as this identity for admin actions and scraping. */
export const OPERATOR = 'operator';
export const OPERATOR_ID = spiffeIdFor(OPERATOR);

/** The team's Prometheus scrapes as this identity: /metrics and nothing else. */
export const PROMETHEUS = 'prometheus';
export const PROMETHEUS_ID = spiffeIdFor(PROMETHEUS);

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteSpec {
  /** Cedar action id, e.g. "POST /payments". */
  action: string;
  method: HttpMethod;
  /** Path pattern; ":name" segments match one path segment. */
  path: string;
  /** Service names allowed to call this route over mTLS. */
  callers: readonly string[];
  /** Whether the route needs a per-hop access token (and a transaction token where txn is true). */
  token: 'none' | 'access' | 'access+txn';
  /** Whether the route is decided by the PDP. */
  authorize: boolean;
}

function route(method: HttpMethod, path: string, callers: readonly string[], token: RouteSpec['token'], authorize: boolean): RouteSpec {
  return { action: `${method} ${path}`, method, path, callers, token, authorize };
}

/** Operator-only routes every workload serves on its mTLS port. */
const OPS = [route('GET', '/healthz', [OPERATOR, ...SERVICE_NAMES], 'none', false), route('GET', '/metrics', [OPERATOR, PROMETHEUS], 'none', false), route('POST', '/admin/renew-svid', [OPERATOR], 'none', false)];

export const TOPOLOGY: Record<ServiceName, readonly RouteSpec[]> = {
  ca: [...OPS, route('POST', '/renew', [...MESH_WORKLOADS, OPERATOR], 'none', false), route('POST', '/encryption-cert', ['payments'], 'none', false), route('POST', '/admin/issue', [OPERATOR], 'none', false), route('POST', '/admin/revoke', [OPERATOR], 'none', false), route('POST', '/admin/join-tokens', [OPERATOR], 'none', false), route('GET', '/crl', [...MESH_WORKLOADS, OPERATOR], 'none', false), route('GET', '/bundle.pem', [...MESH_WORKLOADS, OPERATOR], 'none', false)],
  sts: [
    ...OPS,
    route('POST', '/token', ['gateway', 'payments', 'ledger', OPERATOR], 'none', false),
    route('GET', '/.well-known/jwks.json', ['gateway', 'payments', 'ledger', 'pdp', 'kms', OPERATOR], 'none', false),
    route('POST', '/admin/rotate', [OPERATOR], 'none', false),
    route('POST', '/admin/revoke', [OPERATOR], 'none', false),
  ],
  pdp: [...OPS, route('POST', '/v1/decide', ['gateway', 'payments', 'ledger', 'kms', OPERATOR], 'none', false), route('GET', '/admin/policies', [OPERATOR], 'none', false), route('PUT', '/admin/policies', [OPERATOR], 'none', false), route('POST', '/admin/rollback', [OPERATOR], 'none', false)],
  gateway: [...OPS, route('POST', '/admin/heap-snapshot', [OPERATOR], 'none', false)],
  payments: [
    ...OPS,
    route('POST', '/payments', ['gateway'], 'access+txn', true),
    route('GET', '/encryption-keys', ['gateway', OPERATOR], 'none', false),
    route('POST', '/admin/rotate-encryption-key', [OPERATOR], 'none', false),
    route('POST', '/admin/open-stored-card', [OPERATOR], 'none', false),
  ],
  ledger: [
    ...OPS,
    route('POST', '/entries', ['payments'], 'access+txn', true),
    route('GET', '/entries/:id', ['payments'], 'access+txn', true),
    route('GET', '/admin/entries', [OPERATOR], 'none', false),
    route('GET', '/admin/stored-cards', [OPERATOR], 'none', false),
    route('POST', '/admin/rewrap-card-keys', [OPERATOR], 'none', false),
  ],
  // The wrapping keys never leave kms: payments gets data keys and unwraps them, the ledger only rewraps (it never sees a data key).
  kms: [
    ...OPS,
    route('POST', '/v1/data-keys', ['payments'], 'access', true),
    route('POST', '/v1/unwrap', ['payments'], 'access', true),
    route('POST', '/v1/rewrap', ['ledger'], 'access', true),
    route('GET', '/admin/key-versions', [OPERATOR], 'none', false),
    route('POST', '/admin/rotate', [OPERATOR], 'none', false),
    route('POST', '/admin/revoke', [OPERATOR], 'none', false),
  ],
};

/** Routes on the CA's enrolment port (server-authenticated TLS: the workload has no SVID yet). */
export const CA_ENROL_ROUTES = [route('POST', '/join', [], 'none', false), route('GET', '/bundle.pem', [], 'none', false), route('GET', '/healthz', [], 'none', false)];

/** Routes on the gateway's public HTTPS port (end users, no client certificate). */
/** End users carry a user token on POST /payments; the decision is taken at payments, where the resource is known. */
export const GATEWAY_PUBLIC_ROUTES = [route('POST', '/login', [], 'none', false), route('POST', '/payments', [], 'access', false), route('GET', '/.well-known/payments-encryption-keys', [], 'none', false)];

/** The routes of a workload's second listener, by the kind its descriptor declares. */
export const PUBLIC_ROUTES: Record<NonNullable<WorkloadDescriptor['publicPort']>, readonly RouteSpec[]> = { enrolment: CA_ENROL_ROUTES, https: GATEWAY_PUBLIC_ROUTES };

/** The mTLS routes of a workload; an unknown name is an error naming the known ones. */
export function routesOf(name: string): readonly RouteSpec[] {
  return TOPOLOGY[descriptorOf(name).name as ServiceName];
}

/** The declared service-to-service edges the PDP must permit (caller → callee action). */
export interface Edge {
  caller: string;
  callee: ServiceName;
  action: string;
}

export function declaredEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const [callee, routes] of Object.entries(TOPOLOGY) as [ServiceName, readonly RouteSpec[]][]) {
    for (const r of routes) if (r.authorize) for (const caller of r.callers) edges.push({ caller, callee, action: r.action });
  }
  return edges;
}

export function matchRoute(routes: readonly RouteSpec[], method: string, path: string): { route: RouteSpec; params: Record<string, string> } | undefined {
  const segments = path.split('/');
  for (const r of routes) {
    if (r.method !== method) continue;
    const pattern = r.path.split('/');
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pattern.length; i++) {
      const p = pattern[i]!;
      const s = segments[i]!;
      if (p.startsWith(':')) {
        if (!s) { ok = false; break; }
        try {
          params[p.slice(1)] = decodeURIComponent(s);
        } catch {
          ok = false; // malformed percent-encoding matches no route
          break;
        }
      } else if (p !== s) { ok = false; break; }
    }
    if (ok) return { route: r, params };
  }
  return undefined;
}
