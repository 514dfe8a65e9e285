/**
 * The harness acts as the operator identity: it scrapes, checks health and takes
 * admin actions (issue, revoke, rotate, policy push) over mTLS like any workload.
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { MeshClient, type MeshResponse } from '../../services/kit/mtls/client.ts';
import type { TlsCredentials } from '../../services/kit/mtls/credentials.ts';
import { WorkloadIdentity } from '../../services/kit/identity/workload-identity.ts';
import { spiffeIdFor } from '../../services/kit/spiffe.ts';
import { OPERATOR, type ServiceName } from '../../services/topology.ts';

export class OperatorClient {
  readonly client: MeshClient;
  readonly credentials: TlsCredentials;
  readonly urls: Record<string, string>;

  constructor(credentials: TlsCredentials, urls: Record<string, string>) {
    this.credentials = credentials;
    this.urls = urls;
    this.client = new MeshClient({ credentials, userAgent: 'meshgate-operator' });
  }

  static load(dir: string, urls: Record<string, string>): OperatorClient {
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    return new OperatorClient({ certPem: read('cert.pem'), keyPem: read('key.pem'), bundlePem: read('bundle.pem') }, urls);
  }

  static save(dir: string, c: TlsCredentials): void {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'cert.pem'), c.certPem);
    writeFileSync(join(dir, 'bundle.pem'), c.bundlePem);
    writeFileSync(join(dir, 'key.pem'), c.keyPem, { mode: 0o600 });
    chmodSync(join(dir, 'key.pem'), 0o600);
  }

  /**
   * Enrols the operator with its join token and keeps a day-long SVID in `dir`, so later commands
   * (ca issue, down, an attached run) can act as it.
   */
  static async enrol(dir: string, joinToken: string, ca: { enrolUrl: string; url: string; bundlePem: string }): Promise<void> {
    const identity = await WorkloadIdentity.enrol(joinToken, { caEnrolUrl: ca.enrolUrl, caUrl: ca.url, bundlePem: ca.bundlePem });
    const bootstrap = new OperatorClient(identity.credentials, { ca: ca.url });
    try {
      const svid = await bootstrap.json<{ certPem: string; keyPem: string; bundlePem: string }>('ca', 'POST', '/admin/issue', { spiffeId: spiffeIdFor(OPERATOR), ttlSeconds: 86_400 });
      OperatorClient.save(dir, { certPem: svid.certPem, keyPem: svid.keyPem, bundlePem: svid.bundlePem });
    } finally {
      bootstrap.close();
    }
  }

  static exists(dir: string): boolean {
    return existsSync(join(dir, 'key.pem'));
  }

  async request(service: ServiceName, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<MeshResponse> {
    const base = this.urls[service];
    if (!base) throw new TypeError(`no URL known for service ${service}`);
    const init: Parameters<MeshClient['request']>[0] = { url: new URL(path, base).href, method, serverId: spiffeIdFor(service), headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      init.headers!['content-type'] ??= 'application/json';
    }
    return this.client.request(init);
  }

  async json<T>(service: ServiceName, method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(service, method, path, body);
    if (res.status >= 300) throw new Error(`${service} ${method} ${path} answered ${res.status}: ${res.text().slice(0, 200)}`);
    return res.json<T>();
  }

  close(): void {
    this.client.close();
  }
}
