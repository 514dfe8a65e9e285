import { describe, expect, test } from 'vitest';
import { CertificateAuthority } from './authority.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

describe('certificate authority: CRL numbers across restarts', () => {
  test('a CA loaded again from its folder numbers its CRLs above every one it signed before, and keeps its revocations', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshgate-ca-'));
    try {
      const first = await CertificateAuthority.loadOrCreate(dir);
      const svid = await first.issue({ spiffeId: 'spiffe://meshgate.test/payments' });
      await first.revoke(svid.serial);
      const before = (await first.revoke((await first.issue({ spiffeId: 'spiffe://meshgate.test/ledger' })).serial)).number;
      const again = await CertificateAuthority.loadOrCreate(dir);
      const after = await again.crl();
      expect(after.number).toBeGreaterThan(before);
      expect(again.isRevoked(svid.serial)).toBe(true);
      expect((await again.revoke((await again.issue({ spiffeId: 'spiffe://meshgate.test/gateway' })).serial)).number).toBeGreaterThan(after.number);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a garbage CRL number file stops the CA with the path named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshgate-ca-'));
    try {
      await CertificateAuthority.loadOrCreate(dir);
      writeFileSync(join(dir, 'crl-number'), 'not a number\n');
      await expect(CertificateAuthority.loadOrCreate(dir)).rejects.toThrow(`${join(dir, 'crl-number')} holds no CRL number`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
