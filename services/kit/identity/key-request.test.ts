import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { x509 } from '../x509.ts';
import { createKeyRequest } from './key-request.ts';

describe('createKeyRequest', () => {
  it('makes a PKCS#10 request for its own key that the CA’s X.509 library parses and verifies', async () => {
    const { keyPem, csrPem } = await createKeyRequest();
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    expect(await csr.verify()).toBe(true);
    expect(csr.subject).toBe('O=meshgate.test');
    expect(csr.signatureAlgorithm).toMatchObject({ name: 'ECDSA', hash: { name: 'SHA-256' } });
    const requested = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
    expect(requested.export({ format: 'jwk' })).toEqual(createPublicKey(createPrivateKey(keyPem)).export({ format: 'jwk' }));
  });

  it('passes openssl req -verify, and a request with a flipped signature byte does not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshgate-csr-'));
    try {
      const { csrPem } = await createKeyRequest();
      writeFileSync(join(dir, 'good.pem'), csrPem);
      // openssl 3.0 exits 0 either way and tells the verdict on standard error.
      const verify = (file: string, form: string) => spawnSync('openssl', ['req', '-in', join(dir, file), '-inform', form, '-noout', '-verify', '-subject'], { encoding: 'utf8' });
      const good = verify('good.pem', 'PEM');
      expect(good.error).toBeUndefined();
      expect(good.stderr).toMatch(/self-signature verify OK/);
      expect(good.stdout).toMatch(/O\s*=\s*meshgate\.test/);
      const der = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
      der.writeUInt8(der.readUInt8(der.length - 5) ^ 0x01, der.length - 5);
      writeFileSync(join(dir, 'bad.der'), der);
      expect(verify('bad.der', 'DER').stderr).toMatch(/self-signature verify failure/);
      expect(await new x509.Pkcs10CertificateRequest(der).verify()).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives every request its own key', async () => {
    const [a, b] = await Promise.all([createKeyRequest(), createKeyRequest()]);
    expect(a.keyPem).not.toBe(b.keyPem);
    expect(a.csrPem).not.toBe(b.csrPem);
  });
});
