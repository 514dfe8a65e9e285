import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateAuthority } from '../../ca/authority.ts';
import { RevocationList } from './revocation-list.ts';

const ID = (s: string) => `spiffe://meshgate.test/${s}`;

function pemOf(der: Buffer): string {
  return `-----BEGIN X509 CRL-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END X509 CRL-----\n`;
}

function derOf(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
}

describe('RevocationList reads the CA’s CRL with node:crypto', () => {
  it('lists exactly the serials openssl crl lists, and only after the signature verifies', async () => {
    const ca = await CertificateAuthority.create();
    const svids = await Promise.all(['a', 'b', 'c', 'd'].map((s) => ca.issue({ spiffeId: ID(s) })));
    await ca.revoke(svids[0]!.serial);
    await ca.revoke(svids[2]!.serial);
    const crl = await ca.revoke(svids[3]!.serial);
    const list = new RevocationList(ca.bundlePem);
    expect(await list.update(crl.pem, crl.number)).toBe(true);
    expect(svids.map((s) => list.isRevoked(s.serial))).toEqual([true, false, true, true]);
    expect(list.size).toBe(3);

    const dir = mkdtempSync(join(tmpdir(), 'meshgate-crl-'));
    try {
      writeFileSync(join(dir, 'crl.pem'), crl.pem);
      writeFileSync(join(dir, 'ca.pem'), ca.bundlePem);
      const openssl = spawnSync('openssl', ['crl', '-in', join(dir, 'crl.pem'), '-CAfile', join(dir, 'ca.pem'), '-noout', '-text'], { encoding: 'utf8' });
      expect(openssl.error).toBeUndefined();
      expect(openssl.stderr).toMatch(/verify OK/);
      const listed = [...openssl.stdout.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => m[1]!.replace(/^0+(?=.)/, '')).sort();
      expect(listed).toEqual(svids.filter((s) => list.isRevoked(s.serial)).map((s) => s.serial.toUpperCase().replace(/^0+(?=.)/, '')).sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a CRL with a byte of its signed part changed, and keeps the list it had', async () => {
    const ca = await CertificateAuthority.create();
    const svid = await ca.issue({ spiffeId: ID('a') });
    const list = new RevocationList(ca.bundlePem);
    await list.update((await ca.crl()).pem);
    const crl = await ca.revoke(svid.serial);
    const der = derOf(crl.pem);
    // The last byte of the revoked serial's content sits inside tbsCertList.
    const at = der.indexOf(Buffer.from(svid.serial.length % 2 ? `0${svid.serial}` : svid.serial, 'hex'));
    expect(at).toBeGreaterThan(0);
    const tampered = Buffer.from(der);
    tampered.writeUInt8(tampered.readUInt8(at) ^ 0x01, at);
    await expect(list.update(pemOf(tampered))).rejects.toThrow(/does not verify against the trust bundle/);
    expect(list.isRevoked(svid.serial)).toBe(false);
    expect(await list.update(crl.pem)).toBe(true);
    expect(list.isRevoked(svid.serial)).toBe(true);
  });

  it('refuses a CRL from another CA and an older CRL', async () => {
    const [ca, rogue] = await Promise.all([CertificateAuthority.create(), CertificateAuthority.create()]);
    const list = new RevocationList(ca.bundlePem);
    await expect(list.update((await rogue.crl()).pem)).rejects.toThrow(/does not verify/);
    const first = await ca.crl();
    const svid = await ca.issue({ spiffeId: ID('a') });
    const second = await ca.revoke(svid.serial);
    expect(await list.update(second.pem, second.number)).toBe(true);
    expect(await list.update(first.pem, first.number)).toBe(false);
    expect(list.isRevoked(svid.serial)).toBe(true);
  });

  it.each([
    ['an empty string', ''],
    ['a certificate instead of a CRL', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'],
    ['PEM armour around garbage', pemOf(Buffer.from('not der at all'))],
    ['a length running past the end', pemOf(Buffer.from([0x30, 0x82, 0x10, 0x00, 0x30, 0x00]))],
    ['an indefinite length', pemOf(Buffer.from([0x30, 0x80, 0x00, 0x00]))],
    ['a non-minimal length', pemOf(Buffer.from([0x30, 0x81, 0x03, 0x30, 0x01, 0x00]))],
    ['bytes after the CRL', pemOf(Buffer.from([0x30, 0x00, 0x00]))],
    ['a sequence of the wrong parts', pemOf(Buffer.from([0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]))],
  ])('names %s as not a CRL', async (_name, text) => {
    const ca = await CertificateAuthority.create();
    const list = new RevocationList(ca.bundlePem);
    await expect(list.update(text)).rejects.toThrow(/CRL is not a PEM X\.509 CRL/);
  });
});
