/**
 * What mutual TLS costs per request, side by side on loopback: plaintext HTTP
 * keep-alive (the baseline), mTLS keep-alive, a resumed mTLS handshake and a full
 * mTLS handshake, each followed by one GET.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Bench } from 'tinybench';
import { CertificateAuthority } from '../../services/ca/authority.ts';
import { MtlsServer } from '../../services/kit/mtls/server.ts';
import { printRows, rowsOf, type BenchRow } from './bench-row.ts';

function get(agent: http.Agent | https.Agent, url: string, options: https.RequestOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https') ? https : http;
    const req = mod.request(url, { agent, ...options }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

export async function benchHandshake(timeMs = 400): Promise<BenchRow[]> {
  const ca = await CertificateAuthority.create();
  const issue = async (name: string) => {
    const s = await ca.issue({ spiffeId: `spiffe://meshgate.test/${name}`, dnsNames: ['localhost'] });
    return { certPem: s.certPem, keyPem: s.keyPem!, bundlePem: ca.bundlePem };
  };
  const server = new MtlsServer({ credentials: await issue('ledger'), peerPolicy: {} }, (_req, res) => res.end('ok'));
  await server.listen();
  const plain = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
  const plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}/`;
  const client = await issue('payments');
  const tlsOptions = { key: client.keyPem, cert: client.certPem, ca: client.bundlePem, minVersion: 'TLSv1.3' as const, checkServerIdentity: () => undefined };
  const keepAlive = new https.Agent({ keepAlive: true, maxSockets: 1, ...tlsOptions });
  const plainAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  // A fresh connection per request; maxCachedSessions 0 forces a full handshake, the default cache resumes.
  const full = new https.Agent({ keepAlive: false, maxCachedSessions: 0, ...tlsOptions });
  const resumed = new https.Agent({ keepAlive: false, ...tlsOptions });
  const url = `${server.url}/`;

  const bench = new Bench({ time: timeMs, warmupTime: 50 });
  bench
    .add('plaintext HTTP keep-alive (baseline)', () => get(plainAgent, plainUrl))
    .add('mTLS keep-alive request', () => get(keepAlive, url))
    .add('mTLS resumed handshake + GET', () => get(resumed, url))
    .add('mTLS full handshake + GET', () => get(full, url));
  try {
    await bench.run();
    return rowsOf(bench, 'plaintext HTTP keep-alive (baseline)');
  } finally {
    for (const a of [keepAlive, plainAgent, full, resumed]) a.destroy();
    await server.close();
    plain.closeAllConnections();
    await new Promise<void>((r) => plain.close(() => r()));
  }
}

if (import.meta.main) printRows('mTLS handshake and request cost', await benchHandshake());
