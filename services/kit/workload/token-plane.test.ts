/**
 * The token plane's last line against a revoked certificate: a request that
 * reaches the guard on a connection whose certificate the CRL already names
 * (it raced the CRL update that closes such connections) is refused with
 * token_cert_revoked before any token is read.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CertificateAuthority } from '../../ca/authority.ts';
import { TOPOLOGY } from '../../topology.ts';
import { systemClock } from '../clock.ts';
import type { RouteContext } from '../http/mesh-router.ts';
import { createLogger } from '../log/logger.ts';
import { createMeshMetrics } from '../metrics/mesh-metrics.ts';
import { RevocationList } from '../mtls/revocation-list.ts';
import { spiffeIdFor } from '../spiffe.ts';
import { DEFAULT_SETTINGS, type SecuritySettings } from './settings.ts';
import { createTokenPlane, type TokenPlane } from './token-plane.ts';

let ca: CertificateAuthority;
let revocation: RevocationList;
let dir: string;
let revokedSerial: string;
let validSerial: string;
const planes: TokenPlane[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshgate-token-plane-'));
  ca = await CertificateAuthority.create();
  revocation = new RevocationList(ca.bundlePem);
  revokedSerial = (await ca.issue({ spiffeId: spiffeIdFor('gateway') })).serial;
  validSerial = (await ca.issue({ spiffeId: spiffeIdFor('gateway') })).serial;
  const crl = await ca.revoke(revokedSerial);
  expect(await revocation.update(crl.pem, crl.number)).toBe(true);
});

afterAll(() => {
  for (const plane of planes) plane.close();
  rmSync(dir, { recursive: true, force: true });
});

function plane(settings: Partial<SecuritySettings> = {}): TokenPlane {
  const p = createTokenPlane({
    spiffeId: spiffeIdFor('payments'),
    settings: { ...DEFAULT_SETTINGS, ...settings },
    metrics: createMeshMetrics('payments', { defaultMetrics: false }),
    logger: createLogger({ service: 'payments', destination: join(dir, 'payments.log') }),
    clock: systemClock,
    // No token service here: the guard must decide before it needs one.
    call: async () => {
      throw new Error('no token service in this test');
    },
    revocation,
  });
  planes.push(p);
  return p;
}

/** A request for POST /payments from the gateway, as the router hands it to the guard. */
function request(serial: string): RouteContext {
  const route = TOPOLOGY.payments.find((r) => r.action === 'POST /payments')!;
  return {
    req: { headers: {}, socket: {} },
    peer: { spiffeId: spiffeIdFor('gateway'), certThumbprint: 'x', serial, notAfter: new Date(Date.now() + 60_000).toISOString(), subject: '' },
    route,
    params: {},
    requestId: 'r-1',
    correlationId: undefined,
    correlationHeader: undefined,
    facts: {},
  } as unknown as RouteContext;
}

describe('a token on a connection the CRL has revoked', () => {
  test('is refused with 401 token_cert_revoked before its token is read', async () => {
    const refusal = await plane().guard(request(revokedSerial));
    expect(refusal).toMatchObject({ status: 401, reason: 'token_cert_revoked' });
  });

  test('a certificate the CRL does not name goes on to the token checks (here: no token)', async () => {
    const refusal = await plane().guard(request(validSerial));
    expect(refusal).toMatchObject({ status: 401, reason: 'token_missing' });
  });

  test('with revocation checking off (the mutant) the revoked certificate is not noticed', async () => {
    const refusal = await plane({ checkRevocation: false }).guard(request(revokedSerial));
    expect(refusal).toMatchObject({ reason: 'token_missing' });
  });
});
