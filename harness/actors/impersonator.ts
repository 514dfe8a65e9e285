/**
 * A workload identity minted from the running CA: what a tester (or an
 * attacker holding a stolen key) can do as that workload, with its own mTLS
 * client, from outside the mesh.
 */
import { MeshClient, type MeshResponse } from '../../services/kit/mtls/client.ts';
import type { TlsCredentials } from '../../services/kit/mtls/credentials.ts';
import { spiffeIdFor } from '../../services/kit/spiffe.ts';
import type { Correlation } from '../../services/kit/telemetry/correlation.ts';
import { TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_TXN_TOKEN } from '../../services/kit/tokens/claims.ts';
import type { ServiceName } from '../../services/topology.ts';
import type { MeshEngine } from '../engine/mesh-engine.ts';
import type { IssueSvidRequest } from '../engine/operator-api.ts';
import { correlationHeaders } from './correlation-headers.ts';
import { hasClearCard, sendSealed } from './card-sealer.ts';

export class Impersonator {
  /** The SPIFFE ID the certificate names. */
  readonly spiffeId: string;
  readonly credentials: TlsCredentials;
  readonly client: MeshClient;
  readonly serial: string;
  correlation: Correlation | undefined;
  readonly #engine: MeshEngine;

  private constructor(engine: MeshEngine, spiffeId: string, credentials: TlsCredentials, serial: string) {
    this.#engine = engine;
    this.spiffeId = spiffeId;
    this.credentials = credentials;
    this.serial = serial;
    this.client = new MeshClient({ credentials, userAgent: `meshgate-actor-${spiffeId.split('/').slice(3).join('-') || 'unknown'}` });
  }

  /** A certificate for `spiffe://meshgate.test/<service>` (or, with `issue.spiffeId`, any ID the CA will sign). */
  static async mint(engine: MeshEngine, service: string, issue: Partial<IssueSvidRequest> = {}): Promise<Impersonator> {
    const request: IssueSvidRequest = { spiffeId: spiffeIdFor(service), ...issue };
    const svid = await engine.operator.issueSvid(request);
    return new Impersonator(engine, request.spiffeId, { certPem: svid.certPem, keyPem: svid.keyPem, bundlePem: svid.bundlePem }, svid.serial);
  }

  /** Calls a workload; a payment to payments has its card sealed first, as the client it relays would have (`plaintext` keeps it in clear). */
  call(service: ServiceName, method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; form?: Record<string, string>; plaintext?: boolean } = {}): Promise<MeshResponse> {
    if (service === 'payments' && method === 'POST' && path === '/payments' && !options.plaintext && hasClearCard(options.body)) {
      return sendSealed(this.#engine, options.body, (sealed) => this.call(service, method, path, { ...options, body: sealed }));
    }
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
    const request: Parameters<MeshClient['request']>[0] = { url: new URL(path, this.#engine.endpoint(service).url).href, method, headers, serverId: spiffeIdFor(service) };
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
