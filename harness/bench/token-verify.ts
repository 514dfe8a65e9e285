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
import { printRows, rowsOf, type BenchRow } from './bench-row.ts';
import { SigningKeys } from '../../services/sts/signing-keys.ts';
import { TokenIssuer } from '../../services/sts/token-issuer.ts';


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

  return rowsOf(bench, 'node:crypto ES256 verify (floor)');
}

if (import.meta.main) {
  printRows('token verification', await benchTokenVerify());
}
