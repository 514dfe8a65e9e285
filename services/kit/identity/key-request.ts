/** A fresh P-256 key and a PKCS#10 request proving possession of it. */
import { generateKeyPairSync } from 'node:crypto';
import { x509 } from '../x509.ts';

const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export async function createKeyRequest(): Promise<{ keyPem: string; csrPem: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keys = {
    privateKey: await privateKey.toCryptoKey(EC_ALG, false, ['sign']),
    publicKey: await publicKey.toCryptoKey(EC_ALG, true, ['verify']),
  };
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'O=meshgate.test', keys, signingAlgorithm: EC_ALG });
  return { keyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), csrPem: csr.toString('pem') };
}
