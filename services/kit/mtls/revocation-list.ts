/**
 * The set of revoked certificate serials, taken only from a CRL whose signature
 * verifies against the trust bundle. A newer CRL replaces the older one.
 *
 * The CRL is read with node:crypto and a minimal DER reader: the signature is
 * checked over the exact signed bytes before any field inside them is read, so
 * only a CRL the CA signed is ever parsed further.
 */
import { verify, X509Certificate, type KeyObject } from 'node:crypto';
import { childrenOf, DER, DerError, OID_ECDSA_WITH_SHA256, derTime, expectChildren, expectTag, readDer, type DerElement } from '../der.ts';
import { normaliseSerial } from '../ec-keys.ts';

const PEM_CRL = /^\s*-----BEGIN X509 CRL-----([A-Za-z0-9+/=\s]+)-----END X509 CRL-----\s*$/;

interface SignedCrl {
  tbs: DerElement;
  signature: Buffer;
}

export class RevocationList {
  #revoked = new Set<string>();
  readonly #issuerKeys: KeyObject[];
  #thisUpdate = 0;
  #number = 0;
  #listeners = new Set<() => void>();

  constructor(bundlePem: string) {
    this.#issuerKeys = RevocationList.#keysOf(bundlePem);
  }

  static #keysOf(bundlePem: string): KeyObject[] {
    const blocks = bundlePem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) throw new TypeError('trust bundle holds no PEM certificate');
    return blocks.map((pem) => new X509Certificate(pem).publicKey);
  }

  /** Installs a CRL; refuses one that is unsigned by the bundle or older than the current one. */
  async update(crlPem: string, number?: number): Promise<boolean> {
    const signed = signedParts(crlPem);
    if (!this.#issuerKeys.some((key) => verifies(signed, key))) throw new TypeError('CRL signature does not verify against the trust bundle');
    let fields: { thisUpdate: number; serials: string[] };
    try {
      fields = listedFields(signed.tbs);
    } catch (err) {
      throw new TypeError(`CRL signed by the trust bundle is malformed: ${(err as Error).message}`);
    }
    if (fields.thisUpdate < this.#thisUpdate || (number !== undefined && number < this.#number)) return false;
    this.#thisUpdate = fields.thisUpdate;
    if (number !== undefined) this.#number = number;
    this.#revoked = new Set(fields.serials);
    // Synchronously with the swap: no request can slip in between the new list and the closures it causes.
    for (const listener of this.#listeners) listener();
    return true;
  }

  /** Calls `listener` after every installed CRL; returns the unsubscribe function. */
  onUpdate(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get number(): number {
    return this.#number;
  }

  get size(): number {
    return this.#revoked.size;
  }

  isRevoked(serialHex: string): boolean {
    return this.#revoked.has(normaliseSerial(serialHex));
  }
}

/** CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue } (RFC 5280 §5.1), no deeper. */
function signedParts(text: string): SignedCrl {
  const pem = typeof text === 'string' ? PEM_CRL.exec(text) : null;
  if (!pem) throw new TypeError('CRL is not a PEM X.509 CRL');
  try {
    const [tbs, algorithm, value, ...rest] = expectChildren(readDer(Buffer.from(pem[1]!.replace(/\s/g, ''), 'base64')), 'CRL');
    if (rest.length > 0) throw new DerError('CRL has fields after its signature');
    const [oid, ...parameters] = expectChildren(algorithm!, 'CRL signature algorithm');
    if (!expectTag(oid, DER.oid, 'CRL signature algorithm').content.equals(OID_ECDSA_WITH_SHA256) || parameters.length > 0) throw new DerError('CRL is not signed with ecdsa-with-SHA256');
    const bits = expectTag(value, DER.bitString, 'CRL signature').content;
    if (bits[0] !== 0) throw new DerError('CRL signature is not a whole number of bytes');
    return { tbs: expectTag(tbs, DER.sequence, 'CRL tbsCertList'), signature: bits.subarray(1) };
  } catch (err) {
    if (err instanceof DerError) throw new TypeError(`CRL is not a PEM X.509 CRL: ${err.message}`);
    throw err;
  }
}

function verifies(signed: SignedCrl, key: KeyObject): boolean {
  try {
    return verify('sha256', signed.tbs.raw, key, signed.signature);
  } catch {
    return false;
  }
}

/** TBSCertList: [version] signature issuer thisUpdate [nextUpdate] [revokedCertificates] [[0] extensions]. */
function listedFields(tbs: DerElement): { thisUpdate: number; serials: string[] } {
  const fields = childrenOf(tbs);
  let i = fields[0]?.tag === DER.integer ? 1 : 0;
  expectTag(fields[i++], DER.sequence, 'CRL tbsCertList signature');
  expectTag(fields[i++], DER.sequence, 'CRL issuer');
  const thisUpdate = derTime(fields[i++], 'CRL thisUpdate');
  if (fields[i]?.tag === DER.utcTime || fields[i]?.tag === DER.generalizedTime) i++;
  const serials: string[] = [];
  if (fields[i]?.tag === DER.sequence) {
    for (const entry of childrenOf(fields[i]!)) {
      const serial = expectTag(expectChildren(entry, 'CRL entry')[0], DER.integer, 'CRL entry serial');
      serials.push(normaliseSerial(serial.content.toString('hex')));
    }
  }
  return { thisUpdate, serials };
}
