/**
 * The hot-path parts on their own, each beside its floor: access-token
 * verification cold and on a new connection against a raw node:crypto ECDSA
 * P-256 verify of the same input, an embedded Cedar decision, a remote decision
 * over keep-alive mTLS, and the client's seal of a card for payments. The
 * floor and the cold verification it divides are measured in turns, request
 * by request, so their ratio is not a comparison of two moments of the machine.
 */
import { generateKeyPairSync, sign, verify, X509Certificate } from 'node:crypto';
import { AccessTokenVerifier } from '../../services/kit/tokens/access-token-verifier.ts';
import { ConnectionTokenCache } from '../../services/kit/tokens/connection-token-cache.ts';
import { JwksCache } from '../../services/kit/tokens/jwks-cache.ts';
import { MeshClient } from '../../services/kit/mtls/client.ts';
import { certThumbprint } from '../../services/kit/mtls/peer-identity.ts';
import { embeddedPdp } from '../../services/pdp/embedded-pdp.ts';
import { recipientOf } from '../actors/card-sealer.ts';
import { sealCard } from '../../services/kit/e2ee/seal-card.ts';
import { spiffeIdFor } from '../../services/kit/spiffe.ts';
import { STS_ISSUER } from '../../services/sts/token-issuer.ts';
import type { TxnTokenClaims } from '../../services/kit/tokens/claims.ts';
import type { DecideFn } from '../../services/kit/pep/policy-enforcer.ts';
import { recordPercentiles, rotated, type BenchContext } from './bench-context.ts';
import { paymentDecision, SERVER_SERVICE } from './bench-payload.ts';
import { ratioOf, type Figure } from './figure.ts';
import { closedLoop, pairedLoop, type Send } from './load.ts';

const CARD = { number: '4111111111111111', expiry: '12/39' };

interface MicroUnit {
  id: string;
  label: string;
  send: Send;
}

export interface MicroParts {
  /** Measured in turns with each other: the floor and what is divided by it. */
  paired: MicroUnit[];
  units: MicroUnit[];
  /** A new access token for the repetition: one minted once would expire during a long run. */
  refresh(): Promise<void>;
  close(): void;
}

export async function prepareMicro(ctx: BenchContext): Promise<MicroParts> {
  let token = await ctx.tokens.accessToken();
  const thumbprint = certThumbprint(new X509Certificate(ctx.ladder.client.certPem).raw);
  const jwks = new JwksCache({ fetchJwks: async () => ctx.tokens.jwks(), refreshIntervalMs: 3_600_000, maxStaleMs: 3_600_000 });
  await jwks.refresh();
  const verifier = new AccessTokenVerifier({ issuer: STS_ISSUER, audience: spiffeIdFor(SERVER_SERVICE), jwks });
  // Cold means every signature and claim checked: no cache of verified tokens at all.
  const coldVerifier = new AccessTokenVerifier({ issuer: STS_ISSUER, audience: spiffeIdFor(SERVER_SERVICE), jwks, verifiedTokenEntries: 0 });
  const must = (r: { ok: boolean }) => {
    if (!r.ok) throw new Error(`bench access token did not verify: ${JSON.stringify(r)}`);
  };
  must(await verifier.verify(token, thumbprint));
  // The floor: the same signing input, signed and verified with node:crypto alone.
  const raw = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const input = Buffer.from(token.slice(0, token.lastIndexOf('.')));
  const signature = sign('sha256', input, { key: raw.privateKey, dsaEncoding: 'ieee-p1363' });
  const rawKey = { key: raw.publicKey, dsaEncoding: 'ieee-p1363' as const };
  const txn: TxnTokenClaims = { iss: STS_ISSUER, aud: 'spiffe://meshgate.test', sub: 'alice', scope: 'payments:write', txn: 'bench', purp: 'payment', rctx: { authn: 'pwd' }, azd: { amount: 25, currency: 'EUR' }, iat: 0, exp: 0, jti: 'bench' };
  const decision = paymentDecision(txn);
  const embedded: DecideFn = await embeddedPdp();
  const client = new MeshClient({ credentials: ctx.ladder.client });
  const recipient = recipientOf(ctx.ladder.server.bundlePem, ctx.ladder.encryptionKeys);
  const signal = new AbortController().signal;
  const allow = async (p: ReturnType<DecideFn>) => {
    const r = await p;
    if (r.decision !== 'allow') throw new Error(`bench decision was ${r.decision}; the reference policies or the bench request changed`);
  };
  return {
    paired: [
      { id: 'micro.ecdsa-verify', label: 'node:crypto ECDSA P-256 verify (floor)', send: async () => void verify('sha256', input, rawKey, signature) },
      { id: 'micro.token-cold', label: 'access-token verification, cold', send: async () => must(await coldVerifier.verify(token, thumbprint)) },
    ],
    units: [
      { id: 'micro.token-new-connection', label: 'the same access token on a new connection', send: async () => must(await verifier.verify(token, thumbprint, new ConnectionTokenCache())) },
      { id: 'micro.cedar-embedded', label: 'embedded Cedar decision', send: () => allow(embedded(decision, signal)) },
      // The client's half of end-to-end card encryption, the key set already checked: one ECDH, a key wrap, AES-GCM.
      { id: 'micro.card-seal', label: 'client seals a card for payments (JWE ECDH-ES+A256KW, A256GCM)', send: async () => void (await sealCard(CARD, { reference: 'bench', amount: '25', currency: 'EUR' }, recipient)) },
      {
        id: 'micro.pdp-remote',
        label: 'remote decision over keep-alive mTLS (PDP service)',
        send: async () => {
          const res = await client.request({ url: ctx.ladder.pdpUrl, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(decision), serverId: spiffeIdFor('pdp') });
          if (res.status !== 200) throw new Error(`remote decision answered ${res.status}: ${res.text().slice(0, 200)}`);
        },
      },
    ],
    refresh: async () => {
      token = await ctx.tokens.accessToken();
      must(await verifier.verify(token, thumbprint));
    },
    close: () => client.close(),
  };
}

export async function microRep(ctx: BenchContext, rep: number, parts: MicroParts): Promise<void> {
  await parts.refresh();
  const n = ctx.config.microIterations;
  const paired = await pairedLoop(
    parts.paired.map((u) => u.send),
    { requests: n, warmup: Math.round(n / 5), timeoutMs: ctx.config.runTimeoutMs },
  );
  parts.paired.forEach((unit, i) => recordPercentiles(ctx, unit.id, unit.label, paired[i]!, [50, 99]));
  for (const unit of rotated(parts.units, rep)) {
    const m = await closedLoop(unit.send, { concurrency: 1, requests: n, warmup: Math.round(n / 5), timeoutMs: ctx.config.runTimeoutMs });
    recordPercentiles(ctx, unit.id, unit.label, m.histogram, [50, 99]);
  }
}

export function microDerived(ctx: BenchContext): Figure[] {
  const floor = ctx.recorder.values('micro.ecdsa-verify.p50');
  const cold = ctx.recorder.values('micro.token-cold.p50');
  return floor && cold ? [ratioOf({ id: 'micro.token-cold.ratio', label: 'access-token verification cold ÷ raw ECDSA verify, p50', unit: 'ratio', better: 'lower' }, cold, floor)] : [];
}
