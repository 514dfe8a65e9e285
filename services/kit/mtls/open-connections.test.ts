import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CertificateAuthority } from '../../ca/authority.ts';
import type { ConnectionClosedEvent } from './connection-closed-event.ts';
import type { TlsCredentials } from './credentials.ts';
import { MeshClient } from './client.ts';
import { RevocationList } from './revocation-list.ts';
import { MtlsServer } from './server.ts';
import { ManualClock } from '../clock.ts';

const ID = (s: string) => `spiffe://meshgate.test/${s}`;

let ca: CertificateAuthority;
let serverList: RevocationList;
let clientList: RevocationList;
let server: MtlsServer;
let serverCreds: TlsCredentials & { serial: string };
let closed: ConnectionClosedEvent[];

async function creds(spiffeId: string, extra: Partial<Parameters<CertificateAuthority['issue']>[0]> = {}): Promise<TlsCredentials & { serial: string }> {
  const svid = await ca.issue({ spiffeId, dnsNames: ['localhost'], ...extra });
  return { certPem: svid.certPem, keyPem: svid.keyPem!, bundlePem: ca.bundlePem, serial: svid.serial };
}

/** Waits (bounded) until a closure of this role was recorded. */
async function closure(role: ConnectionClosedEvent['role'], timeoutMs = 5_000): Promise<ConnectionClosedEvent | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = closed.find((e) => e.role === role);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

async function revoke(serial: string): Promise<void> {
  const crl = await ca.revoke(serial);
  await serverList.update(crl.pem, crl.number);
  await clientList.update(crl.pem, crl.number);
}

beforeEach(async () => {
  ca = await CertificateAuthority.create();
  serverList = new RevocationList(ca.bundlePem);
  clientList = new RevocationList(ca.bundlePem);
  closed = [];
  serverCreds = await creds(ID('payments'));
  server = new MtlsServer({ credentials: serverCreds, peerPolicy: { revocation: serverList }, onConnectionClosed: (e) => closed.push(e) }, (_req, res) => res.end('ok'));
  await server.listen();
});
afterEach(async () => server?.close());

function client(credentials: TlsCredentials): MeshClient {
  return new MeshClient({ credentials, revocation: clientList, onConnectionClosed: (e) => closed.push(e) });
}

describe('open connections follow their peer certificate', () => {
  test('revoking the client certificate closes its open keep-alive connection on the server', async () => {
    const gateway = await creds(ID('gateway'));
    const c = new MeshClient({ credentials: gateway });
    expect((await c.request({ url: `${server.url}/x`, serverId: ID('payments') })).status).toBe(200);
    expect(server.openConnections).toBe(1);
    await revoke(gateway.serial);
    const event = await closure('server');
    expect(event).toMatchObject({ role: 'server', reason: 'cert_revoked', spiffeId: ID('gateway'), serial: gateway.serial });
    expect(server.openConnections).toBe(0);
    // The pooled socket is gone and a new handshake with the revoked certificate is refused.
    await expect(c.request({ url: `${server.url}/x`, serverId: ID('payments') })).rejects.toThrow();
    c.close();
  });

  test('revoking the server certificate makes the client drop its pooled connections', async () => {
    const c = client(await creds(ID('gateway')));
    expect((await c.request({ url: `${server.url}/x`, serverId: ID('payments') })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 5)); // the socket returns to the pool after 'end'
    expect(c.openConnections).toBe(1);
    await revoke(serverCreds.serial);
    const event = await closure('client');
    expect(event).toMatchObject({ role: 'client', reason: 'cert_revoked', spiffeId: ID('payments'), serial: serverCreds.serial });
    expect(c.openConnections).toBe(0);
    await expect(c.request({ url: `${server.url}/x`, serverId: ID('payments') })).rejects.toThrow(/revoked/);
    c.close();
  });

  test('a connection does not outlive the client certificate it was opened with', async () => {
    const shortLived = await creds(ID('gateway'), { notAfter: new Date(Date.now() + 1_500) });
    const c = new MeshClient({ credentials: shortLived });
    expect((await c.request({ url: `${server.url}/x`, serverId: ID('payments') })).status).toBe(200);
    const event = await closure('server');
    expect(event).toMatchObject({ reason: 'cert_expired', spiffeId: ID('gateway') });
    expect(event!.closedAt).toBeGreaterThanOrEqual(Date.parse(new Date(Math.floor((Date.now() - 5_000) / 1000) * 1000).toISOString()));
    c.close();
  });

  test("expiry is the server's clock's to decide: a clock past the client certificate's notAfter closes its connection at once", async () => {
    await server.close();
    const clock = new ManualClock();
    server = new MtlsServer({ credentials: serverCreds, peerPolicy: { revocation: serverList }, onConnectionClosed: (e) => closed.push(e), clock }, (_req, res) => res.end('ok'));
    await server.listen();
    const gateway = await creds(ID('gateway'), { ttlSeconds: 3_600 });
    const c = new MeshClient({ credentials: gateway });
    expect((await c.request({ url: `${server.url}/x`, serverId: ID('payments') })).status).toBe(200);
    expect(closed).toEqual([]);
    clock.advance(2 * 3_600_000);
    // A new connection is watched from the moved clock's point of view (the TLS layer itself still uses real time).
    const fresh = new MeshClient({ credentials: gateway });
    await fresh.request({ url: `${server.url}/x`, serverId: ID('payments') }).catch(() => undefined);
    const event = await closure('server');
    expect(event).toMatchObject({ reason: 'cert_expired', spiffeId: ID('gateway'), closedAt: clock.now() });
    c.close();
    fresh.close();
  });

  test('with revocation checking off (the mutant) the open connection is kept', async () => {
    await server.close();
    server = new MtlsServer({ credentials: serverCreds, peerPolicy: { revocation: serverList, checkRevocation: false }, onConnectionClosed: (e) => closed.push(e) }, (_req, res) => res.end('ok'));
    await server.listen();
    const gateway = await creds(ID('gateway'));
    const c = new MeshClient({ credentials: gateway });
    await c.request({ url: `${server.url}/x`, serverId: ID('payments') });
    await revoke(gateway.serial);
    expect(server.openConnections).toBe(1);
    expect((await c.request({ url: `${server.url}/x`, serverId: ID('payments') })).status).toBe(200);
    c.close();
  });
});
