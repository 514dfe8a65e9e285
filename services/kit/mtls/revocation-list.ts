/**
 * The set of revoked certificate serials, taken only from a CRL whose signature
 * verifies against the trust bundle. A newer CRL replaces the older one.
 */
import { x509 } from '../x509.ts';
import { normaliseSerial } from '../ec-keys.ts';

export class RevocationList {
  #revoked = new Set<string>();
  readonly #issuerKeys: x509.PublicKey[];
  #thisUpdate = 0;
  #number = 0;
  #listeners = new Set<() => void>();

  constructor(bundlePem: string) {
    this.#issuerKeys = RevocationList.#keysOf(bundlePem);
  }

  static #keysOf(bundlePem: string): x509.PublicKey[] {
    const blocks = bundlePem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) throw new TypeError('trust bundle holds no PEM certificate');
    return blocks.map((pem) => new x509.X509Certificate(pem).publicKey);
  }

  /** Installs a CRL; refuses one that is unsigned by the bundle or older than the current one. */
  async update(crlPem: string, number?: number): Promise<boolean> {
    let crl: x509.X509Crl;
    try {
      crl = new x509.X509Crl(crlPem);
    } catch {
      throw new TypeError('CRL is not a PEM or DER X.509 CRL');
    }
    let verified = false;
    for (const key of this.#issuerKeys) {
      if (await crl.verify({ publicKey: key }).catch(() => false)) {
        verified = true;
        break;
      }
    }
    if (!verified) throw new TypeError('CRL signature does not verify against the trust bundle');
    const thisUpdate = crl.thisUpdate.getTime();
    if (thisUpdate < this.#thisUpdate || (number !== undefined && number < this.#number)) return false;
    this.#thisUpdate = thisUpdate;
    if (number !== undefined) this.#number = number;
    this.#revoked = new Set(crl.entries.map((e) => normaliseSerial(e.serialNumber)));
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
