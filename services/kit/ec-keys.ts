/** P-256 key material as the CA makes it: WebCrypto keys for its X.509 library, PKCS#8 PEM for TLS. */
import { generateKeyPairSync, webcrypto } from 'node:crypto';

export const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export async function generateEcKeys(): Promise<{ keys: webcrypto.CryptoKeyPair; keyPem: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keys = {
    privateKey: await privateKey.toCryptoKey(EC_ALG, false, ['sign']),
    publicKey: await publicKey.toCryptoKey(EC_ALG, true, ['verify']),
  };
  return { keys, keyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

/** Upper-case hex without separators or leading zeros: how the CA, the CRL and Node print one serial alike. */
export function normaliseSerial(serial: string): string {
  const hex = serial.replace(/[:\s]/g, '').toUpperCase();
  if (!/^[0-9A-F]+$/.test(hex)) throw new TypeError(`serial "${serial}" is not hexadecimal`);
  return hex.replace(/^0+(?=.)/, '');
}
