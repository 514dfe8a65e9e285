import { describe, expect, it } from 'vitest';
import { CertificateAuthority, publicKeyFromPem } from '../ca/authority.ts';
import { ManualClock } from '../kit/clock.ts';
import { checkEncryptionKey, currentEncryptionKey } from '../kit/e2ee/encryption-key-check.ts';
import { sealCard } from '../kit/e2ee/seal-card.ts';
import { spiffeIdFor } from '../kit/spiffe.ts';
import { PaymentsEncryptionKeys } from './encryption-keys.ts';

const PAYMENTS = spiffeIdFor('payments');
const CARD = { number: '4111111111111111', expiry: '12/39' };
const BINDING = { reference: 'ref-1', amount: '25', currency: 'EUR' };

async function setup() {
  const ca = await CertificateAuthority.create();
  const clock = new ManualClock(Date.now());
  const keys = await PaymentsEncryptionKeys.create({ clock, retireAfterMs: 60_000, certify: async (pem) => (await ca.issue({ spiffeId: PAYMENTS, publicKey: publicKeyFromPem(pem), use: 'key-agreement' })).certPem });
  const seal = async (binding = BINDING) => {
    const checked = currentEncryptionKey(keys.jwks(), ca.bundlePem, PAYMENTS);
    if (!checked.ok) throw new Error(checked.problem);
    return sealCard(CARD, binding, { key: checked.key, kid: checked.jwk.kid });
  };
  return { ca, clock, keys, seal };
}

describe('payments encryption keys', () => {
  it('publishes a current and a next key, each certified for payments for key agreement only; private members never', async () => {
    const { ca, keys } = await setup();
    const jwks = keys.jwks();
    expect(jwks.keys.map((k) => k.status)).toEqual(['current', 'next']);
    for (const jwk of jwks.keys) {
      expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'status', 'use', 'x', 'x5c', 'y']);
      expect(checkEncryptionKey(jwk, ca.bundlePem, PAYMENTS)).toMatchObject({ ok: true });
      expect(checkEncryptionKey(jwk, ca.bundlePem, spiffeIdFor('gateway'))).toMatchObject({ ok: false, problem: expect.stringMatching(/names spiffe:\/\/meshgate\.test\/payments, not spiffe:\/\/meshgate\.test\/gateway/) });
    }
    const other = await CertificateAuthority.create();
    expect(checkEncryptionKey(jwks.keys[0]!, other.bundlePem, PAYMENTS)).toMatchObject({ ok: false, problem: expect.stringMatching(/not issued by the mesh CA/) });
  });

  it('opens a card sealed for its payment, and refuses it for another payment', async () => {
    const { keys, seal } = await setup();
    const sealed = await seal();
    expect(await keys.open(sealed, BINDING)).toMatchObject({ ok: true, card: CARD, kid: keys.currentKid });
    expect(await keys.open(sealed, { ...BINDING, reference: 'ref-2' })).toMatchObject({ ok: false, reason: 'card_binding_mismatch' });
    expect(await keys.open(sealed, { ...BINDING, amount: '25.01' })).toMatchObject({ ok: false, reason: 'card_binding_mismatch' });
    expect(await keys.open('not a jwe', BINDING)).toMatchObject({ ok: false, reason: 'card_malformed' });
  });

  it('rotation: a card sealed for the key that was current still opens for the retire window, then not', async () => {
    const { clock, keys, seal } = await setup();
    const sealed = await seal();
    const before = keys.jwks().keys.map((k) => k.kid);
    const rotated = await keys.rotate();
    expect(rotated.current).toBe(before[1]);
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual([before[1], rotated.next]);
    expect(await keys.open(sealed, BINDING)).toMatchObject({ ok: true });
    clock.advance(61_000);
    await keys.rotate();
    expect(await keys.open(sealed, BINDING)).toMatchObject({ ok: false, reason: 'card_key_unknown' });
    expect(await keys.open(await seal(), BINDING)).toMatchObject({ ok: true });
  });
});
