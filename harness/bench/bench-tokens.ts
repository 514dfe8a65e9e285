/** The token service's side of the benchmark: real signing keys, access tokens bound to the caller's SVID, fresh transaction tokens. */
import { X509Certificate } from 'node:crypto';
import { SigningKeys } from '../../services/sts/signing-keys.ts';
import { randomId, TokenIssuer } from '../../services/sts/token-issuer.ts';
import { certThumbprint } from '../../services/kit/mtls/peer-identity.ts';
import { spiffeIdFor } from '../../services/kit/spiffe.ts';
import type { JwksDocument } from '../../services/kit/tokens/jwks-cache.ts';
import { BENCH_AMOUNT, BENCH_CURRENCY, BENCH_USER, CLIENT_SERVICE, SERVER_SERVICE } from './bench-payload.ts';

export interface BenchTokens {
  issuer: TokenIssuer;
  jwks(): JwksDocument;
  /** An access token for the ladder server, bound to the caller's certificate. */
  accessToken(): Promise<string>;
  /** n transaction tokens, each for one request (the replay cache refuses a second use). */
  txnTokens(n: number): Promise<string[]>;
}

/** The token service's keys; they exist before the ladder server, which is given their JWKS when it starts. */
export async function createBenchIssuer(): Promise<TokenIssuer> {
  return new TokenIssuer({ keys: await SigningKeys.create({ alg: 'ES256' }) });
}

export function benchTokens(issuer: TokenIssuer, clientCertPem: string): BenchTokens {
  const keys = issuer.keys;
  const thumbprint = certThumbprint(new X509Certificate(clientCertPem).raw);
  return {
    issuer,
    jwks: () => keys.jwks(),
    accessToken: async () => (await issuer.issueAccessToken({ subject: spiffeIdFor(CLIENT_SERVICE), audience: spiffeIdFor(SERVER_SERVICE), certThumbprint: thumbprint })).token,
    txnTokens: async (n) => {
      const tokens: string[] = [];
      for (let i = 0; i < n; i++) {
        const issued = await issuer.issueTxnToken({ subject: BENCH_USER, scopes: ['payments:write'], txn: randomId(), purp: 'payment', rctx: { authn: 'pwd' }, azd: { amount: BENCH_AMOUNT, currency: BENCH_CURRENCY } });
        tokens.push(issued.token);
      }
      return tokens;
    },
  };
}
