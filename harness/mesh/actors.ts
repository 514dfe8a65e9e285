/**
 * The people and workloads a scenario acts as, from outside the mesh: an end
 * user on the gateway's public port, and any workload identity minted from the
 * mesh CA (the way `meshgate ca issue` does) with its own mTLS client.
 */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { MeshClient, type MeshResponse } from '../../services/kit/mtls/client.ts';
import type { TlsCredentials } from '../../services/kit/mtls/credentials.ts';
import { CORRELATION_HEADER, formatCorrelationHeader, type Correlation } from '../../services/kit/telemetry/correlation.ts';
import { spiffeIdFor } from '../../services/kit/spiffe.ts';
import { TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_TXN_TOKEN } from '../../services/kit/tokens/claims.ts';
import type { ServiceName } from '../../services/topology.ts';
import type { LocalMesh } from './local-mesh.ts';

/** The correlation header and a user agent naming the scenario. */
export function correlationHeaders(correlation: Correlation | undefined): Record<string, string> {
  if (!correlation) return {};
  return { [CORRELATION_HEADER]: formatCorrelationHeader(correlation), 'user-agent': `meshgate-scenario/${correlation.scenarioId ?? '-'} (run ${correlation.correlationId})` };
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

function answer(status: number, headers: HttpAnswer['headers'], body: string): HttpAnswer {
  return { status, headers, body, json: <T>() => JSON.parse(body) as T };
}

export interface PaymentBody {
  amount: number;
  currency: string;
  card: { number: string; expiry: string };
  reference: string;
}

export function samplePayment(reference: string, overrides: Partial<PaymentBody> = {}): PaymentBody {
  return { amount: 25, currency: 'EUR', card: { number: '4111111111111111', expiry: '12/39' }, reference, ...overrides };
}

/** An end user talking HTTPS to the gateway's public port. */
export class EndUser {
  readonly #mesh: LocalMesh;
  readonly #ca: Buffer;
  readonly #agent = new https.Agent({ keepAlive: true });
  /** Sent on every request so logs and spans can be tied to the scenario that caused them. */
  correlation: Correlation | undefined;

  constructor(mesh: LocalMesh) {
    this.#mesh = mesh;
    this.#ca = readFileSync(mesh.paths.bundle);
  }

  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    const base = this.#mesh.ready.get('gateway')?.publicUrl;
    if (!base) throw new TypeError('the gateway is not running');
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    const all: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)), ...headers };
    Object.assign(all, correlationHeaders(this.correlation));
    return new Promise((resolve, reject) => {
      const req = https.request(new URL(path, base), { method: 'POST', ca: this.#ca, agent: this.#agent, headers: all, timeout: 10_000 }, (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () => resolve(answer(res.statusCode ?? 0, res.headers, data)));
      });
      req.on('timeout', () => req.destroy(new Error(`POST ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  password(user: string): string {
    const file = this.#mesh.record().users;
    if (!file) throw new TypeError('the token service has not written demo users');
    const users = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    const password = users[user];
    if (!password) throw new TypeError(`no demo user ${user}`);
    return password;
  }

  /** Logs in a demo user and returns the user token. */
  async login(user: string): Promise<string> {
    const res = await this.post('/login', { username: user, password: this.password(user) });
    if (res.status !== 200) throw new Error(`login of ${user} answered ${res.status}: ${res.body}`);
    return res.json<{ access_token: string }>().access_token;
  }

  pay(token: string | undefined, body: PaymentBody | string): Promise<HttpAnswer> {
    return this.post('/payments', body, token ? { authorization: `Bearer ${token}` } : {});
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** A workload identity minted from the running CA: what a tester (or an attacker holding a stolen key) can do as it. */
export class Impersonator {
  readonly service: string;
  readonly credentials: TlsCredentials;
  readonly client: MeshClient;
  readonly serial: string;
  correlation: Correlation | undefined;
  readonly #mesh: LocalMesh;

  private constructor(mesh: LocalMesh, service: string, credentials: TlsCredentials, serial: string) {
    this.#mesh = mesh;
    this.service = service;
    this.credentials = credentials;
    this.serial = serial;
    this.client = new MeshClient({ credentials, userAgent: `meshgate-actor-${service}` });
  }

  static async mint(mesh: LocalMesh, service: string, issue: Record<string, unknown> = {}): Promise<Impersonator> {
    const svid = await mesh.operator.json<{ certPem: string; keyPem: string; bundlePem: string; serial: string }>('ca', 'POST', '/admin/issue', { spiffeId: spiffeIdFor(service), ...issue });
    return new Impersonator(mesh, service, { certPem: svid.certPem, keyPem: svid.keyPem, bundlePem: svid.bundlePem }, svid.serial);
  }

  call(service: ServiceName, method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; form?: Record<string, string> } = {}): Promise<MeshResponse> {
    const headers = { ...(options.headers ?? {}) };
    Object.assign(headers, correlationHeaders(this.correlation));
    let body: string | undefined;
    if (options.form) {
      body = new URLSearchParams(options.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const request: Parameters<MeshClient['request']>[0] = { url: new URL(path, this.#mesh.url(service)).href, method, headers, serverId: spiffeIdFor(service) };
    if (body !== undefined) request.body = body;
    return this.client.request(request);
  }

  /** A client-credentials access token for a target workload (RFC 8705: bound to this certificate). */
  async accessToken(target: ServiceName): Promise<string> {
    const res = await this.call('sts', 'POST', '/token', { form: { grant_type: 'client_credentials', audience: spiffeIdFor(target) } });
    if (res.status !== 200) throw new Error(`token for ${target} refused: ${res.text()}`);
    return res.json<{ access_token: string }>().access_token;
  }

  /** The gateway's token exchange: a user token becomes a transaction token (gateway identity only). */
  async transactionToken(userToken: string, amount: number, currency = 'EUR'): Promise<string> {
    const res = await this.call('sts', 'POST', '/token', {
      form: { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: userToken, subject_token_type: TOKEN_TYPE_ACCESS_TOKEN, requested_token_type: TOKEN_TYPE_TXN_TOKEN, purpose: 'payment', amount: String(amount), currency, request_id: `actor-${Date.now()}` },
    });
    if (res.status !== 200) throw new Error(`token exchange refused: ${res.text()}`);
    return res.json<{ access_token: string }>().access_token;
  }

  close(): void {
    this.client.close();
  }
}
