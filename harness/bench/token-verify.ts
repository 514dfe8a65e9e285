/**
 * Per-hop token verification cost, side by side: the raw ECDSA P-256 verify
 * floor, jose's signature check alone, the full AccessTokenVerifier without a
 * per-connection cache (every request on a new connection), and a cache hit
 * (a keep-alive connection presenting the same token again).
 */
import { createHash, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { compactVerify, importJWK } from 'jose';
import { Bench } from 'tinybench';
import { AccessTokenVerifier } from '../../services/kit/tokens/access-token-verifier.ts';
import { ConnectionTokenCache } from '../../services/kit/tokens/connection-token-cache.ts';
import { JwksCache } from '../../services/kit/tokens/jwks-cache.ts';
import { SigningKeys } from '../../services/sts/signing-keys.ts';
import { TokenIssuer } from '../../services/sts/token-issuer.ts';

export interface BenchRow {
  name: string;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  samples: number;
}

export interface TokenVerifyBenchOptions {
  /** Measuring time per task in ms (default 300). */
  timeMs?: number;
  warmupMs?: number;
}

export async function benchTokenVerify(options: TokenVerifyBenchOptions = {}): Promise<BenchRow[]> {
  const timeMs = options.timeMs ?? 300;
  const warmupMs = options.warmupMs ?? 50;
  if (!(timeMs > 0) || !(warmupMs >= 0)) throw new TypeError('timeMs must be positive and warmupMs non-negative');

  const audience = 'spiffe://meshgate.test/payments';
  const certThumbprint = createHash('sha256').update(randomBytes(64)).digest('base64url');
  const keys = await SigningKeys.create({ alg: 'ES256' });
  const issuer = new TokenIssuer({ keys, accessTokenTtlSeconds: 300 });
  const { token } = await issuer.issueAccessToken({ subject: 'spiffe://meshgate.test/gateway', audience, certThumbprint });
  const jwks = new JwksCache({ fetchJwks: async () => keys.jwks(), refreshIntervalMs: 3_600_000, maxStaleMs: 3_600_000 });
  await jwks.refresh();
  const verifier = new AccessTokenVerifier({ issuer: issuer.issuer, audience, jwks });
  const connection = new ConnectionTokenCache();
  const check = await verifier.verify(token, certThumbprint, connection);
  if (!check.ok) throw new Error(`bench token did not verify: ${check.reason}`);

  const publicJwk = keys.jwks().keys.find((k) => k.kid === keys.currentKid)!;
  const joseKey = await importJWK(publicJwk, 'ES256');

  // Same signing input size as the token, so the floor compares like with like.
  const raw = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const input = Buffer.from(token.slice(0, token.lastIndexOf('.')));
  const rawSig = sign('sha256', input, { key: raw.privateKey, dsaEncoding: 'ieee-p1363' });
  const rawKey = { key: raw.publicKey, dsaEncoding: 'ieee-p1363' as const };

  const bench = new Bench({ time: timeMs, warmupTime: warmupMs });
  bench
    .add('node:crypto ES256 verify (floor)', () => {
      if (!verify('sha256', input, rawKey, rawSig)) throw new Error('raw verify failed');
    })
    .add('jose compactVerify', async () => {
      await compactVerify(token, joseKey, { algorithms: ['ES256'] });
    })
    .add('AccessTokenVerifier cold (no connection cache)', async () => {
      const r = await verifier.verify(token, certThumbprint);
      if (!r.ok) throw new Error(r.reason);
    })
    .add('AccessTokenVerifier cached hit', async () => {
      const r = await verifier.verify(token, certThumbprint, connection);
      if (!r.ok || !r.cached) throw new Error('expected a cache hit');
    });
  await bench.run();

  return bench.tasks.map((task) => {
    const result = task.result;
    if (result.state !== 'completed' && result.state !== 'aborted-with-statistics') {
      throw new Error(`bench task "${task.name}" did not complete (${result.state === 'errored' ? result.error.message : result.state})`);
    }
    const us = (ms: number) => Math.round(ms * 1000 * 100) / 100;
    return { name: task.name, p50Us: us(result.latency.p50), p99Us: us(result.latency.p99), meanUs: us(result.latency.mean), samples: result.latency.samplesCount };
  });
}

if (import.meta.main) {
  const rows = await benchTokenVerify();
  console.table(rows.map((r) => ({ task: r.name, 'p50 µs': r.p50Us, 'p99 µs': r.p99Us, 'mean µs': r.meanUs, samples: r.samples })));
}
