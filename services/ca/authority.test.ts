import { describe, expect, test } from 'vitest';
import { CertificateAuthority } from './authority.ts';

describe('certificate authority: SPIFFE ID rules', () => {
  test.each([
    ['spiffe://meshgate.test/gateway/../operator', '".." path segment'],
    ['spiffe://meshgate.test/./operator', '"." path segment'],
    ['spiffe://MESHGATE.test/operator', 'lower case'],
    ['spiffe://meshgate.test/operator/', 'empty path segment'],
    ['spiffe://meshgate.test/op%65rator', 'outside A-Z a-z 0-9'],
    ['spiffe://meshgate.test', 'has no path'],
  ])('refuses %j with a clear error', async (spiffeId, problem) => {
    const ca = await CertificateAuthority.create();
    await expect(ca.issue({ spiffeId })).rejects.toThrow(problem);
  });

  test('refuses a foreign trust domain unless asked for it', async () => {
    const ca = await CertificateAuthority.create();
    await expect(ca.issue({ spiffeId: 'spiffe://other.test/gateway' })).rejects.toThrow('trust domain other.test, not meshgate.test');
    const svid = await ca.issue({ spiffeId: 'spiffe://other.test/gateway', allowForeignTrustDomain: true });
    expect(svid.spiffeId).toBe('spiffe://other.test/gateway');
  });

  test('issues a nested ID as exactly that ID (it is a valid ID, just not the operator)', async () => {
    const ca = await CertificateAuthority.create();
    expect((await ca.issue({ spiffeId: 'spiffe://meshgate.test/evil/operator' })).spiffeId).toBe('spiffe://meshgate.test/evil/operator');
  });
});
