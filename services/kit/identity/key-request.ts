/**
 * A fresh P-256 key and a PKCS#10 request proving possession of it (RFC 2986).
 * The request is a handful of fixed DER fields around node:crypto's own SPKI
 * and signature, so a workload does not load an X.509 library (about 170
 * modules, ~100 ms of start-up) just to ask for its certificate; the CA, which
 * parses and checks requests, keeps that library.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { DER, encodeDer as der, OID_ECDSA_WITH_SHA256 } from '../der.ts';

/** The subject every workload asks for; the CA decides the SPIFFE ID from the join token, not from here. */
const SUBJECT_ORGANISATION = 'meshgate.test';

/** OID 2.5.4.10, organizationName. */
const OID_ORGANIZATION_NAME = Buffer.from([0x55, 0x04, 0x0a]);
/** [0] IMPLICIT, constructed: the request's attributes. */
const CONTEXT_0 = 0xa0;

export async function createKeyRequest(): Promise<{ keyPem: string; csrPem: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const subject = der(DER.sequence, der(DER.set, der(DER.sequence, der(DER.oid, OID_ORGANIZATION_NAME), der(DER.utf8String, Buffer.from(SUBJECT_ORGANISATION, 'utf8')))));
  // version 0, subject, the key as node:crypto exports it (SubjectPublicKeyInfo), no attributes ([0] empty).
  const info = der(DER.sequence, der(DER.integer, Buffer.from([0])), subject, publicKey.export({ format: 'der', type: 'spki' }), der(CONTEXT_0));
  const signature = sign('sha256', info, privateKey); // DER-encoded ECDSA-Sig-Value, as X.509 wants
  const request = der(DER.sequence, info, der(DER.sequence, der(DER.oid, OID_ECDSA_WITH_SHA256)), der(DER.bitString, Buffer.from([0x00]), signature));
  const body = request.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return { keyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), csrPem: `-----BEGIN CERTIFICATE REQUEST-----\n${body}\n-----END CERTIFICATE REQUEST-----\n` };
}

