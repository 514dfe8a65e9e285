/** An mTLS handler is given the authenticated peer; served where no peer was authenticated, it refuses instead. */
import https from 'node:https';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CertificateAuthority } from '../../ca/authority.ts';
import { MeshClient } from '../mtls/client.ts';
import { RevocationList } from '../mtls/revocation-list.ts';
import { MtlsServer } from '../mtls/server.ts';
import { sendJson } from './respond.ts';
import { createMeshRouter, requirePeer } from './mesh-router.ts';
import { OPERATOR_ID, type RouteSpec } from '../../topology.ts';

const ROUTE: RouteSpec = { action: 'GET /whoami', method: 'GET', path: '/whoami', callers: ['operator'], token: 'none', authorize: false };
let ca: CertificateAuthority;
let server: MtlsServer;
let open: MtlsServer;
let served = 0;

beforeAll(async () => {
  ca = await CertificateAuthority.create();
  const revocation = new RevocationList(ca.bundlePem);
  await revocation.update((await ca.crl()).pem);
  const svid = await ca.issue({ spiffeId: 'spiffe://meshgate.test/ledger', dnsNames: ['localhost'] });
  const whoami = requirePeer((ctx) => {
    served += 1;
    sendJson(ctx.res, 200, { peer: ctx.peer.spiffeId });
  });
  const credentials = { certPem: svid.certPem, keyPem: svid.keyPem!, bundlePem: ca.bundlePem };
  server = new MtlsServer({ credentials, peerPolicy: { revocation } }, createMeshRouter({ routes: [ROUTE], handlers: { [ROUTE.action]: whoami } }));
  // Client certificates optional and the caller list not enforced: the handler's own requirement is all that is left.
  open = new MtlsServer({ credentials, peerPolicy: { revocation }, requireClientCert: false }, createMeshRouter({ routes: [ROUTE], handlers: { [ROUTE.action]: whoami }, enforceCallers: false }));
  await Promise.all([server.listen(), open.listen()]);
});
afterAll(async () => Promise.all([server?.close(), open?.close()]));

test('on the mTLS port the handler sees the peer', async () => {
  const svid = await ca.issue({ spiffeId: OPERATOR_ID, dnsNames: ['localhost'] });
  const client = new MeshClient({ credentials: { certPem: svid.certPem, keyPem: svid.keyPem!, bundlePem: ca.bundlePem } });
  const res = await client.request({ url: `${server.url}/whoami` });
  client.close();
  expect(res.status).toBe(200);
  expect(res.json()).toEqual({ peer: OPERATOR_ID });
});

test('on a port without client certificates the request is refused with spiffe_id_not_allowed and the handler never runs', async () => {
  const before = served;
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port: open.port, path: '/whoami', servername: 'localhost', ca: ca.bundlePem, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
  expect(answer.status).toBe(403);
  expect(JSON.parse(answer.body)).toMatchObject({ error: 'spiffe_id_not_allowed' });
  expect(served).toBe(before);
});
