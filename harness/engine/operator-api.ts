/**
 * The operator's admin actions as a typed API. Every call names a route by its
 * topology action ("POST /admin/revoke" on the CA); the route must exist in
 * services/topology.ts and admit the operator, so the API cannot drift from
 * what the mesh serves.
 */
import { ERROR_CODES, MeshgateError } from '../errors.ts';
import type { MeshResponse } from '../../services/kit/mtls/client.ts';
import { OPERATOR, TOPOLOGY, type ServiceName } from '../../services/topology.ts';
import type { OperatorClient } from '../mesh/operator.ts';

export interface IssueSvidRequest {
  spiffeId: string;
  ttlSeconds?: number;
  notBefore?: string;
  notAfter?: string;
  /** Shape defects for the invalid-SVID scenario (CA flag, extra URI SANs). */
  malformed?: { ca?: boolean; extraUris?: string[] };
  /** The CA refuses other trust domains unless asked. */
  allowForeignTrustDomain?: boolean;
}

export interface IssuedSvid {
  certPem: string;
  keyPem: string;
  bundlePem: string;
  serial: string;
  spiffeId: string;
  notBefore: string;
  notAfter: string;
}

export interface PolicyState {
  version: string;
  files: Record<string, string>;
  history: Array<{ version: string; activatedAt: string; files: string[]; policyIds: string[] }>;
}

export interface WorkloadHealth {
  status: string;
  service: string;
  spiffeId?: string;
  svidNotAfter?: string;
  crlNumber?: number;
  jwks?: { version: number; kids: string[] };
}

export interface KmsKeyVersion {
  version: number;
  state: 'current' | 'active' | 'revoked';
  createdAt: string;
  revokedAt?: string;
}

export interface StoredCardRecord {
  entryId: string;
  owner: string;
  cardLast4: string;
  cardToken: string;
  cardKey: string;
  keyVersion: number | null;
}

export interface RewrapReport {
  currentVersion: number | null;
  rewrapped: number;
  unchanged: number;
  failed: Array<{ entryId: string; reason: string; keyVersion: number | null }>;
}

/** An admin action the mesh refused: the status and the mesh's reason code. */
export class OperatorActionError extends MeshgateError {
  readonly status: number;
  readonly reason: string;
  constructor(action: string, service: ServiceName, status: number, body: string) {
    let reason = '';
    try {
      reason = String((JSON.parse(body) as { error?: unknown }).error ?? '');
    } catch {
      // not JSON
    }
    super(ERROR_CODES.operatorAction, `${service} ${action} answered ${status}${reason ? ` ${reason}` : ''}: ${body.slice(0, 300)}`);
    this.name = 'OperatorActionError';
    this.status = status;
    this.reason = reason;
  }
}

/** The path of an operator route, looked up in the topology. */
export function operatorRoute(service: ServiceName, action: string): string {
  const route = TOPOLOGY[service]?.find((r) => r.action === action);
  if (!route) throw new TypeError(`the topology declares no route "${action}" on ${service}`);
  if (!route.callers.includes(OPERATOR)) throw new TypeError(`the topology does not let the operator call "${action}" on ${service}`);
  return route.path;
}

export interface RouteTarget {
  params?: Record<string, string>;
  query?: Record<string, string>;
}

export class OperatorApi {
  readonly #client: OperatorClient;

  constructor(client: OperatorClient) {
    this.#client = client;
  }

  /** Sends one operator action; the path comes from the topology (`:name` segments filled from target.params). */
  async send(service: ServiceName, action: string, body?: unknown, target: RouteTarget = {}): Promise<MeshResponse> {
    const path = operatorRoute(service, action).replace(/:([a-z]+)/gi, (_, name: string) => encodeURIComponent(target.params?.[name] ?? ''));
    const query = target.query ? `?${new URLSearchParams(target.query)}` : '';
    return this.#client.request(service, action.split(' ')[0]!, `${path}${query}`, body);
  }

  async #json<T>(service: ServiceName, action: string, body?: unknown, target?: RouteTarget): Promise<T> {
    const res = await this.send(service, action, body, target);
    if (res.status >= 300) throw new OperatorActionError(action, service, res.status, res.text());
    return res.json<T>();
  }

  issueSvid(request: IssueSvidRequest): Promise<IssuedSvid> {
    return this.#json('ca', 'POST /admin/issue', request);
  }

  /** An SVID for a key the caller holds (SPKI PEM): the CA signs, the key never travels. */
  issueSvidForKey(request: IssueSvidRequest, publicKeyPem: string): Promise<Omit<IssuedSvid, 'keyPem'>> {
    return this.#json('ca', 'POST /admin/issue', { ...request, publicKeyPem });
  }

  revokeCert(serial: string): Promise<{ serial: string; crlNumber: number }> {
    return this.#json('ca', 'POST /admin/revoke', { serial });
  }

  async joinToken(spiffeId: string, ttlSeconds = 120): Promise<string> {
    return (await this.#json<{ token: string }>('ca', 'POST /admin/join-tokens', { spiffeId, ttlSeconds })).token;
  }

  renewSvid(service: ServiceName): Promise<{ spiffeId: string; serial: string; notAfter: string }> {
    return this.#json(service, 'POST /admin/renew-svid', {});
  }

  policies(): Promise<PolicyState> {
    return this.#json('pdp', 'GET /admin/policies');
  }

  /** Pushes policy files (merged into the set in force, or replacing it); an invalid set is refused with every problem. */
  pushPolicy(files: Record<string, string | null>, options: { merge?: boolean } = {}): Promise<{ version: string; previousVersion: string }> {
    return this.#json('pdp', 'PUT /admin/policies', { files, merge: options.merge ?? true });
  }

  rollbackPolicy(toVersion?: string): Promise<{ version: string; previousVersion: string }> {
    return this.#json('pdp', 'POST /admin/rollback', toVersion ? { toVersion } : {});
  }

  /** The gateway writes a heap snapshot of itself into the state folder; returns its path. */
  gatewayHeapSnapshot(): Promise<{ file: string }> {
    return this.#json('gateway', 'POST /admin/heap-snapshot');
  }

  /** Payments' encryption key: next becomes current, current retires (it still opens for its window). */
  rotateEncryptionKey(): Promise<{ current: string; retired: string; next: string }> {
    return this.#json('payments', 'POST /admin/rotate-encryption-key');
  }

  rotateSigningKey(): Promise<{ current: string }> {
    return this.#json('sts', 'POST /admin/rotate');
  }

  revokeSigningKey(kid: string): Promise<{ kid: string }> {
    return this.#json('sts', 'POST /admin/revoke', { kid });
  }

  /** kms' wrapping-key versions: which is current, which are revoked. */
  kmsKeyVersions(): Promise<{ current: number; versions: KmsKeyVersion[] }> {
    return this.#json('kms', 'GET /admin/key-versions');
  }

  /** A new current wrapping-key version at kms; the previous one still unwraps until revoked. */
  rotateKmsKey(): Promise<{ current: number; previous: number }> {
    return this.#json('kms', 'POST /admin/rotate');
  }

  /** Revokes a wrapping-key version for good (kms refuses the current one with kms_key_in_use). */
  revokeKmsKey(version: number): Promise<{ version: number; revokedAt: string }> {
    return this.#json('kms', 'POST /admin/revoke', { version });
  }

  /** What the ledger stores for a reference: ciphertext and wrapped key, never a card number. */
  async storedCards(reference: string): Promise<StoredCardRecord[]> {
    return (await this.#json<{ cards: StoredCardRecord[] }>('ledger', 'GET /admin/stored-cards', undefined, { query: { reference } })).cards;
  }

  /** The ledger moves every stored card key to kms' current wrapping key. */
  rewrapCardKeys(): Promise<RewrapReport> {
    return this.#json('ledger', 'POST /admin/rewrap-card-keys');
  }

  /** Payments reads a stored card back through kms (the answer is returned whatever its status: a refusal is the finding). */
  openStoredCard(reference: string, card: Pick<StoredCardRecord, 'cardToken' | 'cardKey'>): Promise<MeshResponse> {
    return this.send('payments', 'POST /admin/open-stored-card', { reference, cardToken: card.cardToken, cardKey: card.cardKey });
  }

  health(service: ServiceName): Promise<WorkloadHealth> {
    return this.#json(service, 'GET /healthz');
  }

  async metricsText(service: ServiceName): Promise<string> {
    const res = await this.send(service, 'GET /metrics');
    if (res.status !== 200) throw new OperatorActionError('GET /metrics', service, res.status, res.text());
    return res.text();
  }

  /** Asks the PDP directly, as the operator (the answer is returned whatever its status). */
  decide(request: unknown): Promise<MeshResponse> {
    return this.send('pdp', 'POST /v1/decide', request);
  }

  /** Entries the ledger holds under a payment reference, read through the ledger's operator route. */
  async ledgerEntries(reference: string): Promise<number> {
    return (await this.#json<{ count: number }>('ledger', 'GET /admin/entries', undefined, { query: { reference } })).count;
  }

  close(): void {
    this.#client.close();
  }
}
