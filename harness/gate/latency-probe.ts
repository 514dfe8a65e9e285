/**
 * Samples what security costs right now on the running mesh: full mTLS
 * handshakes (+ first GET) and requests on a warm mTLS connection to payments.
 * Run on the healthy mesh for the baseline and after each scenario, so the
 * report shows each scenario's figures next to the baseline.
 */
import https from 'node:https';
import type { TlsCredentials } from '../../services/kit/mtls/credentials.ts';
import { percentile } from '../scenario/latency.ts';

function get(agent: https.Agent, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

export async function sampleLatency(url: string, credentials: TlsCredentials, samples = 8): Promise<Record<string, number>> {
  const tls = { key: credentials.keyPem, cert: credentials.certPem, ca: credentials.bundlePem, minVersion: 'TLSv1.3' as const, checkServerIdentity: () => undefined };
  const fresh = new https.Agent({ keepAlive: false, maxCachedSessions: 0, ...tls });
  const warm = new https.Agent({ keepAlive: true, maxSockets: 1, ...tls });
  const handshakes: number[] = [];
  const requests: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      await get(fresh, url);
      handshakes.push((performance.now() - t0) * 1000);
    }
    await get(warm, url);
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      await get(warm, url);
      requests.push((performance.now() - t0) * 1000);
    }
  } finally {
    fresh.destroy();
    warm.destroy();
  }
  const round = (v: number | undefined) => Math.round((v ?? 0) * 10) / 10;
  return {
    handshakeP50Us: round(percentile(handshakes, 50)),
    handshakeP99Us: round(percentile(handshakes, 99)),
    requestP50Us: round(percentile(requests, 50)),
    requestP99Us: round(percentile(requests, 99)),
  };
}
