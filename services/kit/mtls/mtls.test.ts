import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import tls from 'node:tls';
import { CertificateAuthority, serialOf } from '../../ca/authority.ts';
import type { TlsCredentials } from './credentials.ts';
import type { HandshakeEvent } from './handshake-event.ts';
import { MeshClient } from './client.ts';
import { RevocationList } from './revocation-list.ts';
import { MtlsServer } from './server.ts';

const ID = (s: string) => `spiffe://meshgate.test/${s}`;

let ca: CertificateAuthority;
let server: MtlsServer;
let revocation: RevocationList;
const events: HandshakeEvent[] = [];

async function creds(authority: CertificateAuthority, spiffeId: string, extra: Partial<Parameters<CertificateAuthority['issue']>[0]> = {}): Promise<TlsCredentials> {
  const svid = await authority.issue({ spiffeId, dnsNames: ['localhost'], ...extra });
  return { certPem: svid.certPem, keyPem: svid.keyPem!, bundlePem: ca.bundlePem };
}

/** Connects as an attacker would and reports whether an HTTP request got any answer. */
async function attempt(options: tls.ConnectionOptions): Promise<{ answered: boolean; status?: number; error?: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port: server.port, ca: ca.bundlePem, servername: 'localhost', ...options });
    let data = '';
    socket.on('secureConnect', () => socket.write('GET /hello HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n'));
    socket.on('data', (d) => (data += d.toString()));
    socket.on('error', (e: NodeJS.ErrnoException) => resolve({ answered: false, error: e.code ?? e.message }));
    socket.on('close', () => {
      const m = /^HTTP\/1\.1 (\d+)/.exec(data);
      resolve(m ? { answered: true, status: Number(m[1]) } : { answered: false });
    });
  });
}

async function lastServerEvent(): Promise<HandshakeEvent> {
  for (let i = 0; i < 50 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  return events.at(-1)!;
}

beforeAll(async () => {
  ca = await CertificateAuthority.create();
  revocation = new RevocationList(ca.bundlePem);
  await revocation.update((await ca.crl()).pem);
  server = new MtlsServer(
    { credentials: await creds(ca, ID('payments')), peerPolicy: { revocation }, onHandshake: (e) => events.push(e) },
    (_req, res, peer) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ peer: peer?.spiffeId }));
    },
  );
  await server.listen();
});

afterAll(async () => {
  await server.close();
});

describe('mTLS server', () => {
  test('a valid SVID is accepted and its SPIFFE ID read once per connection', async () => {
    const client = new MeshClient({ credentials: await creds(ca, ID('gateway')) });
    events.length = 0;
    const first = await client.request({ url: `${server.url}/hello`, serverId: ID('payments') });
    await new Promise((r) => setTimeout(r, 5)); // the agent returns the socket to its pool after 'end'
    const second = await client.request({ url: `${server.url}/hello`, serverId: ID('payments') });
    client.close();
    expect(first.status).toBe(200);
    expect(first.json()).toEqual({ peer: ID('gateway') });
    expect(second.json()).toEqual({ peer: ID('gateway') });
    const accepted = events.filter((e) => e.ok);
    expect(accepted).toHaveLength(1); // keep-alive: one handshake, one peer read
    expect(accepted[0]!.protocol).toBe('TLSv1.3');
  });

  test('the client refuses a server that is not the workload it meant to call', async () => {
    const client = new MeshClient({ credentials: await creds(ca, ID('gateway')) });
    await expect(client.request({ url: `${server.url}/hello`, serverId: ID('ledger') })).rejects.toThrow(/expected spiffe:\/\/meshgate.test\/ledger/);
    client.close();
  });

  const refusals: Array<[string, () => Promise<tls.ConnectionOptions>, string]> = [
    ['no client certificate', async () => ({}), 'cert_missing'],
    ['a rogue CA with the same SPIFFE ID', async () => {
      const rogue = await CertificateAuthority.create({ name: 'rogue' });
      const c = await rogue.issue({ spiffeId: ID('gateway') });
      return { cert: c.certPem, key: c.keyPem };
    }, 'cert_untrusted'],
    ['an expired certificate', async () => {
      const c = await ca.issue({ spiffeId: ID('gateway'), notBefore: new Date(Date.now() - 7200_000), notAfter: new Date(Date.now() - 3600_000) });
      return { cert: c.certPem, key: c.keyPem };
    }, 'cert_expired'],
    ['a not-yet-valid certificate', async () => {
      const c = await ca.issue({ spiffeId: ID('gateway'), notBefore: new Date(Date.now() + 3600_000), notAfter: new Date(Date.now() + 7200_000) });
      return { cert: c.certPem, key: c.keyPem };
    }, 'cert_not_yet_valid'],
    ['a leaf with CA=true', async () => {
      const c = await ca.issue({ spiffeId: ID('gateway'), malformed: { ca: true } });
      return { cert: c.certPem, key: c.keyPem };
    }, 'svid_invalid'],
    ['a leaf with two URI SANs', async () => {
      const c = await ca.issue({ spiffeId: ID('gateway'), malformed: { extraUris: [ID('ledger')] } });
      return { cert: c.certPem, key: c.keyPem };
    }, 'svid_invalid'],
    ['a SPIFFE ID of another trust domain', async () => {
      const c = await ca.issue({ spiffeId: 'spiffe://evil.test/gateway', allowForeignTrustDomain: true });
      return { cert: c.certPem, key: c.keyPem };
    }, 'svid_invalid'],
    ['a TLS 1.2-only client', async () => {
      const c = await ca.issue({ spiffeId: ID('gateway') });
      return { cert: c.certPem, key: c.keyPem, maxVersion: 'TLSv1.2' as const };
    }, 'tls_version'],
  ];

  test.each(refusals)('%s is refused with its reason code', async (_name, options, reason) => {
    const opts = await options();
    events.length = 0;
    const outcome = await attempt(opts);
    expect(outcome.answered).toBe(false);
    const event = await lastServerEvent();
    expect(event.ok).toBe(false);
    expect(event.reason).toBe(reason);
  });

  test('a revoked certificate is refused once the CRL is refreshed', async () => {
    const c = await ca.issue({ spiffeId: ID('gateway') });
    events.length = 0;
    expect((await attempt({ cert: c.certPem, key: c.keyPem })).status).toBe(200);
    await ca.revoke(c.serial);
    const crl = await ca.crl();
    expect(await revocation.update(crl.pem, crl.number)).toBe(true);
    events.length = 0;
    const outcome = await attempt({ cert: c.certPem, key: c.keyPem });
    expect(outcome.answered).toBe(false);
    expect((await lastServerEvent()).reason).toBe('cert_revoked');
  });

  test('TLS 1.3 stays the floor after the server rotates its certificate', async () => {
    server.updateCredentials(await creds(ca, ID('payments')));
    const c = await ca.issue({ spiffeId: ID('gateway') });
    events.length = 0;
    expect((await attempt({ cert: c.certPem, key: c.keyPem, maxVersion: 'TLSv1.2' })).answered).toBe(false);
    expect((await lastServerEvent()).reason).toBe('tls_version');
    expect((await attempt({ cert: c.certPem, key: c.keyPem })).status).toBe(200);
  });

  test('the client refuses a server whose certificate is revoked', async () => {
    const serverCreds = await creds(ca, ID('ledger'));
    const revokedServer = new MtlsServer({ credentials: serverCreds, peerPolicy: { revocation } }, (_req, res) => res.end('ok'));
    await revokedServer.listen();
    const clientRevocation = new RevocationList(ca.bundlePem);
    const client = new MeshClient({ credentials: await creds(ca, ID('gateway')), revocation: clientRevocation });
    try {
      expect((await client.request({ url: `${revokedServer.url}/x`, serverId: ID('ledger') })).status).toBe(200);
      const crl = await ca.revoke(serialOf(serverCreds.certPem));
      await clientRevocation.update(crl.pem, crl.number);
      const fresh = new MeshClient({ credentials: await creds(ca, ID('gateway')), revocation: clientRevocation });
      await expect(fresh.request({ url: `${revokedServer.url}/x`, serverId: ID('ledger') })).rejects.toThrow(/revoked/);
      fresh.close();
    } finally {
      client.close();
      await revokedServer.close();
    }
  });

  test('a CRL not signed by the bundle is refused and changes nothing', async () => {
    const rogue = await CertificateAuthority.create({ name: 'rogue' });
    await expect(revocation.update((await rogue.crl()).pem)).rejects.toThrow(/does not verify/);
  });

  test('plaintext HTTP to the mTLS port is refused', async () => {
    const net = await import('node:net');
    events.length = 0;
    const reply = await new Promise<string>((resolve) => {
      const s = net.connect(server.port, '127.0.0.1', () => s.write('GET /hello HTTP/1.1\r\nhost: x\r\n\r\n'));
      let data = '';
      s.on('data', (d) => (data += d.toString()));
      s.on('close', () => resolve(data));
      s.on('error', () => resolve(data));
    });
    expect(reply).not.toMatch(/peer/);
    expect((await lastServerEvent()).reason).toBe('tls_plaintext');
  });
});
