import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';
import { forwardedPeer } from './forwarded-client-cert.ts';

const req = (value: string | undefined) => ({ headers: value === undefined ? {} : { 'x-forwarded-client-cert': value } }) as unknown as IncomingMessage;

describe('x-forwarded-client-cert (trusted only in the weak-internal-trust mutant)', () => {
  test('the URI names the caller and the hash its certificate', () => {
    const hash = 'ab'.repeat(32);
    expect(forwardedPeer(req(`Hash=${hash};URI=spiffe://meshgate.test/gateway`))).toMatchObject({ spiffeId: 'spiffe://meshgate.test/gateway', certThumbprint: Buffer.from(hash, 'hex').toString('base64url') });
  });
  test.each([undefined, 'URI=https://evil.example', 'URI=spiffe://meshgate.test/a/../operator', 'Hash=00'])('%j names nobody', (value) => {
    expect(forwardedPeer(req(value))).toBeUndefined();
  });
});
