import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { EnrolmentError, WorkloadIdentity } from '../kit/identity/workload-identity.ts';
import { MeshClient } from '../kit/mtls/client.ts';
import { spiffeIdFor } from '../kit/spiffe.ts';
import { startTestCa, type TestCa } from '../../harness/testbed/in-process-ca.ts';

let t: TestCa;
let bundlePem: string;
const options = () => ({ caEnrolUrl: t.ca.workload.config.caEnrolUrl, caUrl: t.ca.workload.config.caUrl, bundlePem });

beforeAll(async () => {
  t = await startTestCa();
  bundlePem = readFileSync(t.ca.workload.config.bundlePath, 'utf8');
});
afterAll(async () => t?.close());

describe('CA service', () => {
  test('the root key is written 0600 into the state folder', () => {
    expect(statSync(join(t.stateDir, 'ca', 'root-key.pem')).mode & 0o777).toBe(0o600);
  });

  test('a join token yields an SVID for exactly the SPIFFE ID bound to it', async () => {
    const identity = await WorkloadIdentity.enrol(t.joinToken('payments'), options());
    const cert = new X509Certificate(identity.credentials.certPem);
    expect(identity.spiffeId).toBe(spiffeIdFor('payments'));
    expect(cert.subjectAltName).toContain('URI:spiffe://meshgate.test/payments');
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(new X509Certificate(bundlePem))).toBe(true);
    const lifetime = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 1000;
    expect(lifetime).toBeGreaterThan(600);
    expect(lifetime).toBeLessThanOrEqual(630);
  });

  test('a used join token is refused with join_token_used', async () => {
    const token = t.joinToken('ledger');
    await WorkloadIdentity.enrol(token, options());
    const err = await WorkloadIdentity.enrol(token, options()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnrolmentError);
    expect((err as EnrolmentError).reason).toBe('join_token_used');
  });

  test('an unknown join token is refused with join_token_unknown', async () => {
    const err = await WorkloadIdentity.enrol('not-a-token-the-ca-knows', options()).catch((e: unknown) => e);
    expect((err as EnrolmentError).reason).toBe('join_token_unknown');
    expect((err as EnrolmentError).status).toBe(401);
  });

  test('an expired join token is refused with join_token_expired', async () => {
    const token = t.ca.joinTokens.add(spiffeIdFor('gateway'), 0.001);
    await new Promise((r) => setTimeout(r, 20));
    const err = await WorkloadIdentity.enrol(token, options()).catch((e: unknown) => e);
    expect((err as EnrolmentError).reason).toBe('join_token_expired');
  });

  test('renewal over mTLS keeps the SPIFFE ID and replaces the key', async () => {
    const identity = await WorkloadIdentity.enrol(t.joinToken('gateway'), options());
    const before = identity.credentials;
    const after = await identity.renew();
    expect(identity.spiffeId).toBe(spiffeIdFor('gateway'));
    expect(after.keyPem).not.toBe(before.keyPem);
    expect(new X509Certificate(after.certPem).serialNumber).not.toBe(new X509Certificate(before.certPem).serialNumber);
    expect(identity.rotations).toBe(1);
  });

  test('a renewal is scheduled at about half the lifetime, with jitter', async () => {
    const identity = await WorkloadIdentity.enrol(t.joinToken('payments'), { ...options(), random: () => 1 });
    const cert = new X509Certificate(identity.credentials.certPem);
    const start = Date.parse(cert.validFrom);
    const lifetime = Date.parse(cert.validTo) - start;
    // Certificates carry whole seconds; 0.5 + 0.1 jitter at the top of the range.
    expect(Math.abs(identity.nextRenewalAt - (start + lifetime * 0.6))).toBeLessThan(2000);
  });

  test('the CRL long poll answers as soon as a certificate is revoked', async () => {
    const operatorToken = t.joinToken('operator');
    const operator = await WorkloadIdentity.enrol(operatorToken, options());
    const client = new MeshClient({ credentials: operator.credentials });
    try {
      const current = await client.request({ url: `${t.ca.workload.config.caUrl}/crl`, serverId: spiffeIdFor('ca') });
      const number = Number(current.headers['x-crl-number']);
      const started = Date.now();
      const waiting = client.request({ url: `${t.ca.workload.config.caUrl}/crl?after=${number}`, serverId: spiffeIdFor('ca') });
      await new Promise((r) => setTimeout(r, 100));
      const victim = await WorkloadIdentity.enrol(t.joinToken('ledger'), options());
      const revoked = await client.request({ url: `${t.ca.workload.config.caUrl}/admin/revoke`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ serial: victim.serial }), serverId: spiffeIdFor('ca') });
      expect(revoked.status).toBe(200);
      const pushed = await waiting;
      expect(Number(pushed.headers['x-crl-number'])).toBeGreaterThan(number);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(pushed.text()).toContain('BEGIN X509 CRL');
    } finally {
      client.close();
    }
  });

  test('a workload with token-protected routes refuses to start without a token service', async () => {
    const { startWorkload } = await import('../kit/workload/runtime.ts');
    await expect(startWorkload({ config: t.config('ledger'), joinToken: t.joinToken('ledger'), handlers: () => ({}) })).rejects.toThrow(/no token service/);
  });

  test('the CA renews its own SVID through the shared identity, and serves with the new one', async () => {
    const identity = t.ca.workload.identity;
    const before = identity.serial;
    await identity.renew();
    expect(identity.serial).not.toBe(before);
    const tls = await import('node:tls');
    const presented = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: t.ca.workload.server.port, ca: bundlePem, servername: 'localhost' }, () => {
        resolve(socket.getPeerX509Certificate()!.serialNumber);
        socket.destroy();
      });
      socket.on('error', reject);
    });
    expect(presented).toBe(identity.serial);
  });

  test('admin routes refuse a workload that is not the operator', async () => {
    const payments = await WorkloadIdentity.enrol(t.joinToken('payments'), options());
    const client = new MeshClient({ credentials: payments.credentials });
    try {
      const res = await client.request({ url: `${t.ca.workload.config.caUrl}/admin/issue`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ spiffeId: spiffeIdFor('ledger') }), serverId: spiffeIdFor('ca') });
      expect(res.status).toBe(403);
      expect(res.json()).toMatchObject({ error: 'spiffe_id_not_allowed' });
    } finally {
      client.close();
    }
  });

  test('the operator can have an SVID issued for a key it holds, and a garbage key is refused naming the field', async () => {
    const operator = await WorkloadIdentity.enrol(t.joinToken('operator'), options());
    const client = new MeshClient({ credentials: operator.credentials });
    const issue = (body: object) => client.request({ url: `${t.ca.workload.config.caUrl}/admin/issue`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), serverId: spiffeIdFor('ca') });
    try {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const res = await issue({ spiffeId: spiffeIdFor('ledger'), publicKeyPem });
      expect(res.status).toBe(200);
      const svid = res.json<{ certPem: string; keyPem?: string }>();
      expect(svid.keyPem).toBeUndefined();
      expect(new X509Certificate(svid.certPem).publicKey.export({ type: 'spki', format: 'pem' }).toString()).toBe(publicKeyPem);
      const garbage = await issue({ spiffeId: spiffeIdFor('ledger'), publicKeyPem: 'not a key' });
      expect(garbage.status).toBe(400);
      expect(garbage.json()).toMatchObject({ error: 'body_invalid' });
      expect(garbage.text()).toContain('publicKeyPem: not a PEM public key');
    } finally {
      client.close();
    }
  });
});
