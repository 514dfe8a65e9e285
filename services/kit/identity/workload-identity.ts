/**
 * A workload's identity: enrols once with a single-use join token, keeps the
 * current SVID, renews over mTLS at about half its lifetime (with jitter), and
 * tells the TLS server and clients about new credentials.
 */
import { EventEmitter } from 'node:events';
import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import type { TlsCredentials } from '../mtls/credentials.ts';
import { MeshClient } from '../mtls/client.ts';
import { spiffeIdFor } from '../spiffe.ts';
import { createKeyRequest } from './key-request.ts';
import { uriSans } from '../mtls/peer-identity.ts';

export const CA_ID = spiffeIdFor('ca');

export class EnrolmentError extends Error {
  readonly reason: string;
  readonly status: number;
  constructor(reason: string, status: number, message: string) {
    super(message);
    this.name = 'EnrolmentError';
    this.reason = reason;
    this.status = status;
  }
}

export interface SvidResponse {
  certPem: string;
  bundlePem: string;
  spiffeId: string;
  serial: string;
  notBefore: string;
  notAfter: string;
}

/** POST over server-authenticated TLS to the CA's enrolment port (the workload has no SVID yet). */
async function postEnrol(url: string, bundlePem: string, body: unknown): Promise<SvidResponse> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method: 'POST', ca: bundlePem, minVersion: 'TLSv1.3', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Record<string, unknown> = {};
          try {
            parsed = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // fall through with an empty body
          }
          if (res.statusCode === 200) resolve(parsed as unknown as SvidResponse);
          else reject(new EnrolmentError(String(parsed.error ?? 'enrolment_failed'), res.statusCode ?? 0, `enrolment refused (${res.statusCode}): ${parsed.error ?? text.slice(0, 80)}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('enrolment timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}

export interface IdentityOptions {
  caEnrolUrl: string;
  caUrl: string;
  bundlePem: string;
  clock?: Clock;
  /** Fraction of the lifetime after which to renew (0.5) and the jitter around it (±0.1). */
  renewAt?: number;
  jitter?: number;
  random?: () => number;
  /** Where a renewed SVID comes from; the CA at caUrl over mTLS unless given (the CA issues its own). */
  renewer?: () => Promise<{ svid: SvidResponse; keyPem: string }>;
}

export interface IdentityEvents {
  rotated: [TlsCredentials];
  renewalFailed: [Error];
}

export class WorkloadIdentity extends EventEmitter<IdentityEvents> {
  #credentials: TlsCredentials;
  #svid: SvidResponse;
  #options: IdentityOptions;
  #clock: Clock;
  #timer: NodeJS.Timeout | undefined;
  #nextRenewalAt = 0;
  #renewing: Promise<TlsCredentials> | undefined;
  rotations = 0;

  private constructor(svid: SvidResponse, keyPem: string, options: IdentityOptions) {
    super();
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#svid = svid;
    this.#credentials = { certPem: svid.certPem, keyPem, bundlePem: svid.bundlePem };
    this.#scheduleNext();
  }

  /** Proves the workload once with its join token; the CA decides the SPIFFE ID bound to the token. */
  static async enrol(joinToken: string, options: IdentityOptions): Promise<WorkloadIdentity> {
    if (!joinToken) throw new TypeError('join token is empty');
    const { keyPem, csrPem } = await createKeyRequest();
    const url = new URL('/join', options.caEnrolUrl).href;
    // The CA may still be opening its port when a workload starts beside it: retry only "connection refused".
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const svid = await postEnrol(url, options.bundlePem, { token: joinToken, csr: csrPem });
        return new WorkloadIdentity(svid, keyPem, options);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED' || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  }

  /** Wraps credentials obtained elsewhere (the CA's own SVID, tests). */
  static fromCredentials(credentials: TlsCredentials, options: IdentityOptions): WorkloadIdentity {
    const cert = new X509Certificate(credentials.certPem);
    const spiffeId = uriSans(cert)[0] ?? '';
    const svid: SvidResponse = { certPem: credentials.certPem, bundlePem: credentials.bundlePem, spiffeId, serial: cert.serialNumber, notBefore: new Date(cert.validFrom).toISOString(), notAfter: new Date(cert.validTo).toISOString() };
    return new WorkloadIdentity(svid, credentials.keyPem, options);
  }

  get credentials(): TlsCredentials {
    return this.#credentials;
  }

  get spiffeId(): string {
    return this.#svid.spiffeId;
  }

  get serial(): string {
    return this.#svid.serial;
  }

  get notAfter(): number {
    return Date.parse(this.#svid.notAfter);
  }

  get nextRenewalAt(): number {
    return this.#nextRenewalAt;
  }

  secondsToExpiry(): number {
    return (this.notAfter - this.#clock.now()) / 1000;
  }

  #scheduleNext(): void {
    const start = Date.parse(this.#svid.notBefore);
    const lifetime = this.notAfter - start;
    const jitter = this.#options.jitter ?? 0.1;
    const fraction = (this.#options.renewAt ?? 0.5) + (((this.#options.random ?? Math.random)() * 2 - 1) * jitter);
    this.#nextRenewalAt = start + lifetime * fraction;
  }

  /** Renews over mTLS with the current SVID; concurrent callers share one renewal. */
  async renew(): Promise<TlsCredentials> {
    this.#renewing ??= this.#doRenew().finally(() => (this.#renewing = undefined));
    return this.#renewing;
  }

  async #renewOverMtls(): Promise<{ svid: SvidResponse; keyPem: string }> {
    const { keyPem, csrPem } = await createKeyRequest();
    const client = new MeshClient({ credentials: this.#credentials });
    try {
      const res = await client.request({ url: new URL('/renew', this.#options.caUrl).href, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ csr: csrPem }), serverId: CA_ID });
      if (res.status !== 200) throw new EnrolmentError(String(res.json<{ error?: string }>().error ?? 'renewal_failed'), res.status, `renewal refused (${res.status})`);
      return { svid: res.json<SvidResponse>(), keyPem };
    } finally {
      client.close();
    }
  }

  async #doRenew(): Promise<TlsCredentials> {
    const { svid, keyPem } = await (this.#options.renewer ?? (() => this.#renewOverMtls()))();
    this.#svid = svid;
    this.#credentials = { certPem: svid.certPem, keyPem, bundlePem: svid.bundlePem };
    this.rotations += 1;
    this.#scheduleNext();
    this.emit('rotated', this.#credentials);
    return this.#credentials;
  }

  /** Renews when the clock has passed the renewal time; returns whether it did. */
  async renewIfDue(): Promise<boolean> {
    if (this.#clock.now() < this.#nextRenewalAt) return false;
    await this.renew();
    return true;
  }

  /** Starts the background renewal loop; failures are retried and reported, never thrown. */
  startAutoRenew(pollMs = 1000): void {
    this.stopAutoRenew();
    const loop = async (): Promise<void> => {
      try {
        await this.renewIfDue();
      } catch (err) {
        this.emit('renewalFailed', err as Error);
      }
      const until = Math.max(50, Math.min(pollMs, this.#nextRenewalAt - this.#clock.now()));
      this.#timer = setTimeout(() => void loop(), until);
      this.#timer.unref();
    };
    void loop();
  }

  stopAutoRenew(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
