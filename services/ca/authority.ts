/**
 * The mesh's certificate authority: a self-signed ECDSA P-256 root that issues
 * X.509-SVIDs and signs the CRL. Usable in process (tests, the harness's rogue CA)
 * and behind the CA service.
 */
import { webcrypto, randomBytes, createPrivateKey, X509Certificate as NodeX509 } from 'node:crypto';
import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { x509 } from '../kit/x509.ts';
import { EC_ALG, generateEcKeys, normaliseSerial } from '../kit/ec-keys.ts';
import type { Clock } from '../kit/clock.ts';
import { systemClock } from '../kit/clock.ts';
import { checkSpiffeId, TRUST_DOMAIN } from '../kit/spiffe.ts';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export const DEFAULT_SVID_TTL_SECONDS = 600;

/** Shape overrides that break the SVID rules on purpose (operator-only, for attack scenarios). */
export interface MalformedShape {
  ca?: boolean;
  extraUris?: string[];
}

export interface IssueRequest {
  spiffeId: string;
  /** SPKI PEM or a CSR-derived public key; when absent a key pair is generated and returned. */
  publicKey?: x509.PublicKey;
  ttlSeconds?: number;
  notBefore?: Date;
  notAfter?: Date;
  dnsNames?: string[];
  ipAddresses?: string[];
  malformed?: MalformedShape;
  /** An ID of another trust domain is refused unless asked for (the wrong-trust-domain attack). */
  allowForeignTrustDomain?: boolean;
  /**
   * What the certificate is for: an X.509-SVID (default), or a workload's encryption key, certified as its
   * own (keyUsage keyAgreement only, no TLS usages: it can never serve as an SVID).
   */
  use?: 'svid' | 'key-agreement';
}

export interface IssuedSvid {
  certPem: string;
  keyPem?: string;
  serial: string;
  spiffeId: string;
  notBefore: string;
  notAfter: string;
}

export interface CrlSnapshot {
  pem: string;
  number: number;
  revoked: string[];
}

function randomSerial(): string {
  const bytes = randomBytes(16);
  // Positive INTEGER with a first byte of 0x10..0x7f: no sign bit and no leading zero nibble,
  // so every tool (OpenSSL, Node, the CRL) prints the same hex.
  bytes[0] = (bytes[0]! & 0x7f) | 0x10;
  return bytes.toString('hex').toUpperCase();
}

export interface AuthorityOptions {
  trustDomain?: string;
  clock?: Clock;
  name?: string;
  defaultTtlSeconds?: number;
}

export class CertificateAuthority {
  readonly trustDomain: string;
  readonly rootPem: string;
  readonly defaultTtlSeconds: number;
  #root: x509.X509Certificate;
  #signingKey: CryptoKey;
  #clock: Clock;
  #revoked = new Map<string, Date>();
  #crlNumber = 0;
  #crl: CrlSnapshot | undefined;
  #stateDir: string | undefined;

  private constructor(root: x509.X509Certificate, signingKey: CryptoKey, options: AuthorityOptions, stateDir?: string) {
    this.#root = root;
    this.#signingKey = signingKey;
    this.rootPem = root.toString('pem') + '\n';
    this.trustDomain = options.trustDomain ?? TRUST_DOMAIN;
    this.#clock = options.clock ?? systemClock;
    this.defaultTtlSeconds = options.defaultTtlSeconds ?? DEFAULT_SVID_TTL_SECONDS;
    this.#stateDir = stateDir;
  }

  /** A fresh root kept in memory only (tests, rogue CAs). */
  static async create(options: AuthorityOptions = {}): Promise<CertificateAuthority> {
    const { keys } = await generateEcKeys();
    const root = await CertificateAuthority.#selfSign(keys, options);
    return new CertificateAuthority(root, keys.privateKey, options);
  }

  /** Loads the root from `dir`, or generates it there at first start (key file 0600). */
  static async loadOrCreate(dir: string, options: AuthorityOptions = {}): Promise<CertificateAuthority> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const keyPath = join(dir, 'root-key.pem');
    const certPath = join(dir, 'root.pem');
    let ca: CertificateAuthority;
    if (existsSync(keyPath) && existsSync(certPath)) {
      const keyObject = createPrivateKey(await readFile(keyPath, 'utf8'));
      const signingKey = await keyObject.toCryptoKey(EC_ALG, false, ['sign']);
      ca = new CertificateAuthority(new x509.X509Certificate(await readFile(certPath, 'utf8')), signingKey, options, dir);
      await ca.#loadRevocations();
      await ca.#loadCrlNumber();
    } else {
      const { keys, keyPem } = await generateEcKeys();
      const root = await CertificateAuthority.#selfSign(keys, options);
      await writeFile(keyPath, keyPem, { mode: 0o600 });
      await chmod(keyPath, 0o600);
      ca = new CertificateAuthority(root, keys.privateKey, options, dir);
      await writeFile(certPath, ca.rootPem, { mode: 0o644 });
    }
    await ca.#persistCrl();
    return ca;
  }

  static async #selfSign(keys: CryptoKeyPair, options: AuthorityOptions): Promise<x509.X509Certificate> {
    const now = (options.clock ?? systemClock).now();
    const trustDomain = options.trustDomain ?? TRUST_DOMAIN;
    return x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: `CN=${options.name ?? 'meshgate root CA'}, O=${trustDomain}`,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 365 * 24 * 3600_000),
      signingAlgorithm: EC_ALG,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `spiffe://${trustDomain}` }]),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
  }

  /** The trust bundle (PEM) that workloads verify peers against. */
  get bundlePem(): string {
    return this.rootPem;
  }

  /** Issues an X.509-SVID: one URI SAN, CA=false, critical keyUsage digitalSignature, EKU server+client auth. */
  async issue(request: IssueRequest): Promise<IssuedSvid> {
    const problems: string[] = [];
    const checked = checkSpiffeId(request.spiffeId);
    if (!checked.ok) problems.push(`spiffeId ${JSON.stringify(String(request.spiffeId).slice(0, 200))} ${checked.problem}`);
    else if (checked.id.trustDomain !== this.trustDomain && request.allowForeignTrustDomain !== true) {
      problems.push(`spiffeId is in trust domain ${checked.id.trustDomain}, not ${this.trustDomain} (allowForeignTrustDomain to issue it anyway)`);
    }
    const ttl = request.ttlSeconds ?? this.defaultTtlSeconds;
    if (!Number.isFinite(ttl) || ttl <= 0 || ttl > 90 * 24 * 3600) problems.push(`ttlSeconds ${ttl} is out of range (1 s .. 90 days)`);
    for (const [field, date] of [['notBefore', request.notBefore], ['notAfter', request.notAfter]] as const) {
      if (date !== undefined && Number.isNaN(date.getTime())) problems.push(`${field} is not a valid date`);
    }
    if (problems.length > 0) throw new TypeError(problems.join('; '));

    const now = this.#clock.now();
    const notBefore = request.notBefore ?? new Date(now - 30_000); // tolerate small skew between workloads
    const notAfter = request.notAfter ?? new Date(now + ttl * 1000);
    if (notAfter <= notBefore) throw new TypeError('notAfter must be later than notBefore');

    let keyPem: string | undefined;
    let publicKey: x509.PublicKeyType;
    if (request.publicKey) {
      publicKey = request.publicKey;
    } else {
      const generated = await generateEcKeys();
      keyPem = generated.keyPem;
      publicKey = generated.keys.publicKey;
    }

    const names: x509.JsonGeneralName[] = [{ type: 'url', value: request.spiffeId }];
    for (const uri of request.malformed?.extraUris ?? []) names.push({ type: 'url', value: uri });
    for (const dns of request.dnsNames ?? []) names.push({ type: 'dns', value: dns });
    for (const ip of request.ipAddresses ?? []) names.push({ type: 'ip', value: ip });
    const isCa = request.malformed?.ca === true;
    const serial = randomSerial();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject: `O=${this.trustDomain}`,
      issuer: this.#root.subject,
      notBefore,
      notAfter,
      signingAlgorithm: EC_ALG,
      publicKey,
      signingKey: this.#signingKey,
      extensions: [
        new x509.SubjectAlternativeNameExtension(names, true),
        new x509.BasicConstraintsExtension(isCa, undefined, true),
        ...(request.use === 'key-agreement'
          ? [new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyAgreement, true)]
          : [
              new x509.KeyUsagesExtension(isCa ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign : x509.KeyUsageFlags.digitalSignature, true),
              new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
            ]),
        await x509.AuthorityKeyIdentifierExtension.create(this.#root, false),
      ],
    });
    const issued: IssuedSvid = {
      certPem: cert.toString('pem') + '\n',
      serial,
      spiffeId: request.spiffeId,
      notBefore: notBefore.toISOString(),
      notAfter: notAfter.toISOString(),
    };
    if (keyPem !== undefined) issued.keyPem = keyPem;
    return issued;
  }

  /** Issues for a PKCS#10 request after checking its proof of possession; SANs in the CSR are ignored. */
  async issueForCsr(csrPem: string, spiffeId: string, extra: Omit<IssueRequest, 'spiffeId' | 'publicKey'> = {}): Promise<IssuedSvid> {
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem);
    } catch {
      throw new TypeError('csr is not a PEM PKCS#10 certificate request');
    }
    if (!(await csr.verify())) throw new TypeError('csr signature does not verify (no proof of key possession)');
    return this.issue({ ...extra, spiffeId, publicKey: csr.publicKey });
  }

  isRevoked(serial: string): boolean {
    return this.#revoked.has(normaliseSerial(serial));
  }

  /** Revokes a serial and re-signs the CRL; returns the new CRL number. */
  async revoke(serial: string): Promise<CrlSnapshot> {
    this.#revoked.set(normaliseSerial(serial), new Date(this.#clock.now()));
    this.#crl = undefined;
    await this.#persistRevocations();
    return this.#persistCrl();
  }

  /** The current signed CRL; its number grows with every revocation. */
  async crl(): Promise<CrlSnapshot> {
    if (this.#crl) return this.#crl;
    this.#crlNumber += 1;
    const now = this.#clock.now();
    const crl = await x509.X509CrlGenerator.create({
      issuer: this.#root.subject,
      thisUpdate: new Date(now),
      nextUpdate: new Date(now + 3600_000),
      signingAlgorithm: EC_ALG,
      signingKey: this.#signingKey,
      entries: [...this.#revoked].map(([serialNumber, revocationDate]) => ({ serialNumber, revocationDate, reason: x509.X509CrlReason.keyCompromise })),
    });
    // RFC 7468 label: OpenSSL and Node read "X509 CRL", not the bare "CRL".
    this.#crl = { pem: x509.PemConverter.encode(crl.rawData, 'X509 CRL') + '\n', number: this.#crlNumber, revoked: [...this.#revoked.keys()] };
    return this.#crl;
  }

  async #persistRevocations(): Promise<void> {
    if (!this.#stateDir) return;
    const entries = Object.fromEntries([...this.#revoked].map(([s, d]) => [s, d.toISOString()]));
    await writeFile(join(this.#stateDir, 'revoked.json'), JSON.stringify(entries, null, 2));
  }

  async #loadRevocations(): Promise<void> {
    if (!this.#stateDir) return;
    const path = join(this.#stateDir, 'revoked.json');
    if (!existsSync(path)) return;
    const entries = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
    for (const [serial, date] of Object.entries(entries)) this.#revoked.set(serial, new Date(date));
  }

  // Workloads refuse a CRL numbered below the one they hold and long-poll for a higher one, so the
  // number must keep growing across restarts of the CA (RFC 5280 5.2.3: monotonically increasing).
  async #loadCrlNumber(): Promise<void> {
    if (!this.#stateDir) return;
    const path = join(this.#stateDir, 'crl-number');
    if (!existsSync(path)) return;
    const number = Number((await readFile(path, 'utf8')).trim());
    if (!Number.isSafeInteger(number) || number < 0) throw new TypeError(`${path} holds no CRL number: ${JSON.stringify((await readFile(path, 'utf8')).slice(0, 40))}`);
    this.#crlNumber = number;
  }

  async #persistCrl(): Promise<CrlSnapshot> {
    const snapshot = await this.crl();
    if (this.#stateDir) {
      await writeFile(join(this.#stateDir, 'crl.pem'), snapshot.pem);
      await writeFile(join(this.#stateDir, 'crl-number'), `${snapshot.number}\n`);
    }
    return snapshot;
  }
}

/** An SPKI public key in PEM, for issuing a certificate to a key the CA did not generate. */
export function publicKeyFromPem(pem: string): x509.PublicKey {
  if (!/^-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----\s*$/.test(pem.trim())) throw new TypeError('not a PEM public key (BEGIN PUBLIC KEY)');
  return new x509.PublicKey(pem);
}

/** Serial of a PEM certificate in the CA's canonical form. */
export function serialOf(certPem: string): string {
  return normaliseSerial(new NodeX509(certPem).serialNumber);
}
