import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../kit/clock.ts';
import { cardKeyContext, wrappedKeyVersion, WRAPPED_KEY_PATTERN } from '../kit/e2ee/envelope.ts';
import { WrappingKeys } from './wrapping-keys.ts';

const dir = mkdtempSync(join(tmpdir(), 'meshgate-kms-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const ringPath = () => join(dir, `ring-${n++}`, 'wrapping-keys.json');
const clock = new ManualClock(Date.UTC(2026, 0, 1));
const context = cardKeyContext('ref-1');

describe('WrappingKeys', () => {
  it('wraps a fresh data key that unwraps to the same bytes, only with the context it was wrapped for', () => {
    const ring = WrappingKeys.loadOrCreate(ringPath(), clock);
    const made = ring.generate(context);
    expect(made.dataKey).toHaveLength(32);
    expect(made.wrappedKey).toMatch(WRAPPED_KEY_PATTERN);
    expect(wrappedKeyVersion(made.wrappedKey)).toBe(1);
    const opened = ring.unwrap(made.wrappedKey, context);
    expect(opened.ok && opened.dataKey.equals(made.dataKey)).toBe(true);
    expect(ring.unwrap(made.wrappedKey, cardKeyContext('ref-2'))).toMatchObject({ ok: false, reason: 'kms_unwrap_failed', version: 1 });
    expect(ring.unwrap(made.wrappedKey, { purpose: 'ledger-export', reference: 'ref-1' })).toMatchObject({ ok: false, reason: 'kms_unwrap_failed' });
  });

  it('refuses a wrapped key with one bit flipped, a version it never had, and a string that is not a wrap', () => {
    const ring = WrappingKeys.loadOrCreate(ringPath(), clock);
    const { wrappedKey } = ring.generate(context);
    const parts = wrappedKey.split('.');
    const sealed = Buffer.from(parts[3]!, 'base64url');
    sealed[5]! ^= 0x01;
    expect(ring.unwrap([...parts.slice(0, 3), sealed.toString('base64url')].join('.'), context)).toMatchObject({ ok: false, reason: 'kms_unwrap_failed' });
    expect(ring.unwrap(wrappedKey.replace('kms.v1.', 'kms.v9.'), context)).toMatchObject({ ok: false, reason: 'kms_key_unknown', version: 9 });
    expect(ring.unwrap('v1.abc.def.ghi', context)).toMatchObject({ ok: false, reason: 'kms_unwrap_failed' });
  });

  it('rotates, rewraps under the current version without changing the data key, and revokes the old version for good', () => {
    const path = ringPath();
    const ring = WrappingKeys.loadOrCreate(path, clock);
    const old = ring.generate(context);
    expect(ring.rotate()).toEqual({ current: 2, previous: 1 });
    expect(ring.unwrap(old.wrappedKey, context)).toMatchObject({ ok: true, version: 1 });
    const rewrapped = ring.rewrap(old.wrappedKey, context);
    expect(rewrapped).toMatchObject({ ok: true, version: 2, changed: true });
    const newWrap = rewrapped.ok ? rewrapped.wrappedKey : '';
    expect(ring.rewrap(newWrap, context)).toMatchObject({ ok: true, version: 2, changed: false, wrappedKey: newWrap });
    const reopened = ring.unwrap(newWrap, context);
    expect(reopened.ok && reopened.dataKey.equals(old.dataKey)).toBe(true);

    expect(ring.revoke(2)).toMatchObject({ ok: false, reason: 'kms_key_in_use' });
    expect(ring.revoke(7)).toMatchObject({ ok: false, reason: 'kms_key_unknown' });
    clock.advance(1000);
    expect(ring.revoke(1)).toMatchObject({ ok: true, version: 1, revokedAt: '2026-01-01T00:00:01.000Z' });
    expect(ring.unwrap(old.wrappedKey, context)).toMatchObject({ ok: false, reason: 'kms_key_revoked', version: 1 });
    expect(ring.rewrap(old.wrappedKey, context)).toMatchObject({ ok: false, reason: 'kms_key_revoked' });
    expect(ring.unwrap(old.wrappedKey, context, { revokedStillUnwrap: true })).toMatchObject({ ok: true, version: 1 });

    // A restart keeps the versions and the revocation; the file is the owner's alone.
    const again = WrappingKeys.loadOrCreate(path, clock);
    expect(again.versions().map((v) => [v.version, v.state])).toEqual([
      [1, 'revoked'],
      [2, 'current'],
    ]);
    expect(again.unwrap(old.wrappedKey, context)).toMatchObject({ ok: false, reason: 'kms_key_revoked' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).not.toContain(old.dataKey.toString('base64'));
  });

  it('refuses a damaged ring file by name instead of starting a new ring', () => {
    const path = ringPath();
    WrappingKeys.loadOrCreate(path, clock);
    writeFileSync(path, '{"versions": [');
    expect(() => WrappingKeys.loadOrCreate(path, clock)).toThrow(`${path}: the wrapping-key ring is not JSON`);
    writeFileSync(path, JSON.stringify({ versions: [{ version: 1, key: 'c2hvcnQ=' }] }));
    expect(() => WrappingKeys.loadOrCreate(path, clock)).toThrow(/each with an integer version and a 32-byte key/);
  });
});
