import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CertificateAuthority } from '../../ca/authority.ts';
import { RevocationList } from './revocation-list.ts';
import { CONNECTIONS_CHECK_INTERVAL_MS, MtlsServer } from './server.ts';

const HEADERS_TIMEOUT_MS = 500;
let ca: CertificateAuthority;
let server: MtlsServer;

beforeAll(async () => {
  ca = await CertificateAuthority.create();
  const svid = await ca.issue({ spiffeId: 'spiffe://meshgate.test/payments', dnsNames: ['localhost'] });
  server = new MtlsServer({ credentials: { certPem: svid.certPem, keyPem: svid.keyPem!, bundlePem: ca.bundlePem }, peerPolicy: { revocation: new RevocationList(ca.bundlePem) }, headersTimeoutMs: HEADERS_TIMEOUT_MS }, (_req, res) => res.end('ok'));
  await server.listen();
});
afterAll(async () => server?.close());

describe('slow headers', () => {
  test('a client that never finishes its headers is cut off within the header timeout and one check interval', async () => {
    const client = await ca.issue({ spiffeId: 'spiffe://meshgate.test/gateway' });
    const bound = HEADERS_TIMEOUT_MS + CONNECTIONS_CHECK_INTERVAL_MS + 2_000;
    const closedAfterMs = await new Promise<number>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca: ca.bundlePem, cert: client.certPem, key: client.keyPem! });
      let started = 0;
      const giveUp = setTimeout(() => {
        socket.destroy();
        resolve(Infinity);
      }, bound + 1_000);
      socket.on('secureConnect', () => {
        started = Date.now();
        socket.write('GET /healthz HTTP/1.1\r\nhost: localhost\r\nx-slow: ');
      });
      socket.on('error', () => undefined);
      socket.resume(); // read the 408, so the close is seen
      socket.on('close', () => {
        clearTimeout(giveUp);
        resolve(Date.now() - started);
      });
    });
    // Node's default check interval (30 s) would keep this socket far beyond the bound.
    expect(closedAfterMs).toBeLessThanOrEqual(bound);
  });
});
