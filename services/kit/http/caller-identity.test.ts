import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import https from 'node:https';
import { CertificateAuthority } from '../../ca/authority.ts';
import { MeshClient } from '../mtls/client.ts';
import { RevocationList } from '../mtls/revocation-list.ts';
import { MtlsServer } from '../mtls/server.ts';
import { sendJson } from './respond.ts';
import { createMeshRouter } from './mesh-router.ts';
import { OPERATOR_ID, TOPOLOGY } from '../../topology.ts';

let ca: CertificateAuthority;
let server: MtlsServer;

async function clientAs(spiffeId: string): Promise<MeshClient> {
  const svid = await ca.issue({ spiffeId, dnsNames: ['localhost'] });
  return new MeshClient({ credentials: { certPem: svid.certPem, keyPem: svid.keyPem!, bundlePem: ca.bundlePem } });
}

beforeAll(async () => {
  ca = await CertificateAuthority.create();
  const revocation = new RevocationList(ca.bundlePem);
  await revocation.update((await ca.crl()).pem);
  const svid = await ca.issue({ spiffeId: 'spiffe://meshgate.test/ledger', dnsNames: ['localhost'] });
  // Every route of the ledger answers 200 once the caller guard lets it through.
  const handlers = Object.fromEntries(TOPOLOGY.ledger.map((r) => [r.action, ({ res }: { res: Parameters<typeof sendJson>[0] }) => sendJson(res, 200, { ok: true })]));
  server = new MtlsServer({ credentials: { certPem: svid.certPem, keyPem: svid.keyPem!, bundlePem: ca.bundlePem }, peerPolicy: { revocation } }, createMeshRouter({ routes: TOPOLOGY.ledger, handlers }));
  await server.listen();
});
afterAll(async () => server?.close());

describe('caller lists compare the whole SPIFFE ID', () => {
  test('the operator itself reaches the operator-only metrics', async () => {
    const client = await clientAs(OPERATOR_ID);
    const res = await client.request({ url: `${server.url}/metrics` });
    client.close();
    expect(res.status).toBe(200);
  });

  test.each(['spiffe://meshgate.test/evil/operator', 'spiffe://meshgate.test/operator/operator', 'spiffe://meshgate.test/evil/payments'])('%s is refused on every privileged route with spiffe_id_not_allowed', async (id) => {
    const client = await clientAs(id);
    const privileged = TOPOLOGY.ledger.filter((r) => !r.callers.includes('ledger'));
    expect(privileged.length).toBeGreaterThan(2);
    for (const route of privileged) {
      const res = await client.request({ url: `${server.url}${route.path.replace(':id', 'x')}`, method: route.method });
      expect(res.status, route.action).toBe(403);
      expect(res.json<{ error: string }>().error).toBe('spiffe_id_not_allowed');
    }
    client.close();
  });
});

describe('ambiguous security headers', () => {
  test.each(['authorization', 'txn-token', 'x-forwarded-client-cert'])('a request with two %s headers is refused with 400 header_ambiguous', async (name) => {
    const svid = await ca.issue({ spiffeId: OPERATOR_ID, dnsNames: ['localhost'] });
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port: server.port, path: '/metrics', method: 'GET', servername: 'localhost', ca: ca.bundlePem, cert: svid.certPem, key: svid.keyPem!, headers: [['host', 'localhost'], [name, 'first'], [name, 'second']].flat() as unknown as Record<string, string> },
        (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status.status, status.body).toBe(400);
    expect(JSON.parse(status.body).error).toBe('header_ambiguous');
  });
});
