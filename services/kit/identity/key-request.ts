/** A fresh P-256 key and a PKCS#10 request proving possession of it. */
import { x509 } from '../x509.ts';
import { EC_ALG, generateEcKeys } from '../ec-keys.ts';

export async function createKeyRequest(): Promise<{ keyPem: string; csrPem: string }> {
  const { keys, keyPem } = await generateEcKeys();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'O=meshgate.test', keys, signingAlgorithm: EC_ALG });
  return { keyPem, csrPem: csr.toString('pem') };
}
