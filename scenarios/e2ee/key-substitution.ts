import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { CardSealRefused, fetchEncryptionKeys, sealPaymentWith } from '../../harness/actors/card-sealer.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { newReference } from '../../harness/gate/reference.ts';
import { samplePayment } from '../../harness/actors/payment.ts';
import { check, checkThat, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';
import type { EncryptionJwk, EncryptionJwks } from '../../services/kit/e2ee/sealed-card.ts';
import { spiffeIdFor } from '../../services/kit/spiffe.ts';
import { x509 } from '../../services/kit/x509.ts';

/**
 * The gateway serves payments' key set, and end-to-end encryption does not
 * trust the gateway: an evil one hands out a key of its own so it can read
 * every card. The client takes a key only with a certificate the mesh CA
 * issued for payments, for key agreement, for exactly that key.
 */
export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'e2ee.key-substitution',
    title: 'A client refuses an encryption key that is not certified as payments’ own',
    plane: 'e2ee',
    severity: 'critical',
    threat: 'A compromised gateway substitutes its own encryption key in the key set it relays and decrypts every card sealed for it.',
    tags: ['e2ee', 'identity', 'trust-bundle'],
    control: { kind: 'code', location: 'services/kit/e2ee/encryption-key-check.ts', description: 'the key must carry an x5c certificate from the mesh CA for spiffe://meshgate.test/payments, keyAgreement only, for this key' },
  },
  inject,
  async expect(_ctx, { refusals, genuine }) {
    return expectation(
      refusals.map((r) => checkThat(`the client refuses ${r.variant}`, { ok: r.refused !== undefined && r.problem.test(r.refused), expected: `refused: ${r.problem.source}`, observed: r.refused ?? 'sealed for it' })),
      [],
      [check('the genuine key set seals a payment that is booked', 201, genuine)],
    );
  },
});

async function inject(ctx: MeshContext) {
  const real = await fetchEncryptionKeys(ctx.engine);
  const current = real.keys.find((k) => k.status === 'current')!;
  const evil = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { x, y } = evil.publicKey.export({ format: 'jwk' });
  const evilPem = evil.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const der = (pem: string) => new x509.X509Certificate(pem).toString('base64');
  const gatewayCert = await ctx.engine.operator.issueSvidForKey({ spiffeId: spiffeIdFor('gateway') }, evilPem);
  const paymentsSvid = await ctx.engine.operator.issueSvidForKey({ spiffeId: spiffeIdFor('payments') }, evilPem);
  const selfSigned = await selfSignedFor(spiffeIdFor('payments'));
  const substitute = (changes: Partial<EncryptionJwk>): EncryptionJwks => ({ keys: real.keys.map((k) => (k === current ? { ...k, x: x!, y: y!, ...changes } : k)) });
  const variants: Array<{ variant: string; jwks: EncryptionJwks; problem: RegExp }> = [
    { variant: 'a key without a certificate', jwks: substitute({ x5c: [] }), problem: /carries no x5c certificate/ },
    { variant: 'its own key under payments’ certificate', jwks: substitute({}), problem: /the published key is not the certified one/ },
    { variant: 'a key certified by the mesh CA for the gateway', jwks: substitute({ x5c: [der(gatewayCert.certPem)] }), problem: /names spiffe:\/\/meshgate\.test\/gateway, not spiffe:\/\/meshgate\.test\/payments/ },
    { variant: 'a self-signed certificate naming payments', jwks: substitute({ x5c: [selfSigned] }), problem: /not issued by the mesh CA/ },
    { variant: 'a payments SVID (a TLS certificate) for its key', jwks: substitute({ x5c: [der(paymentsSvid.certPem)] }), problem: /not for key agreement only/ },
  ];
  const refusals: Array<{ variant: string; problem: RegExp; refused: string | undefined }> = [];
  for (const v of variants) {
    try {
      await sealPaymentWith(ctx.engine.trustBundle(), v.jwks, samplePayment(newReference('e2ee-evil')));
      refusals.push({ variant: v.variant, problem: v.problem, refused: undefined });
    } catch (err) {
      if (!(err instanceof CardSealRefused)) throw err;
      refusals.push({ variant: v.variant, problem: v.problem, refused: err.message });
    }
  }
  // The certificates minted for the attack are revoked with it.
  for (const serial of [gatewayCert.serial, paymentsSvid.serial]) await ctx.engine.operator.revokeCert(serial);
  const token = await ctx.user.login('alice');
  const reference = newReference('e2ee-genuine');
  const sealed = await sealPaymentWith(ctx.engine.trustBundle(), real, samplePayment(reference));
  const genuine = (await ctx.user.pay(token, sealed)).status;
  return { refusals, genuine };
}

/** A certificate an attacker can make without the CA: self-signed, naming payments. */
async function selfSignedFor(spiffeId: string): Promise<string> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=payments',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    signingAlgorithm: alg,
    keys,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }]), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyAgreement, true)],
  });
  return cert.toString('base64');
}
