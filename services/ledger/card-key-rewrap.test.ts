import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../kit/clock.ts';
import { cardKeyContext, wrappedKeyVersion } from '../kit/e2ee/envelope.ts';
import type { MeshResponse } from '../kit/mtls/client.ts';
import { WrappingKeys } from '../kms/wrapping-keys.ts';
import { rewrapCardKeys, RewrapRefused, type RewrapCall } from './card-key-rewrap.ts';
import { LedgerStore } from './ledger-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'meshgate-rewrap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function answer(status: number, body: unknown): MeshResponse {
  const text = JSON.stringify(body);
  return { status, headers: {}, body: Buffer.from(text), text: () => text, json: <T>() => JSON.parse(text) as T };
}

/** kms' rewrap answer, computed by a real wrapping-key ring (the route's shape: one result per key, in order). */
function kmsOver(ring: WrappingKeys, calls: number[]): RewrapCall {
  return async ({ keys }) => {
    calls.push(keys.length);
    const results = keys.map(({ wrappedKey, context }) => {
      const r = ring.rewrap(wrappedKey, context);
      return r.ok ? { wrappedKey: r.wrappedKey, keyVersion: r.version, changed: r.changed } : { error: r.reason, keyVersion: r.version ?? null };
    });
    return answer(200, { currentVersion: ring.current, results });
  };
}

function book(store: LedgerStore, ring: WrappingKeys, reference: string): void {
  const { wrappedKey } = ring.generate(cardKeyContext(reference));
  store.book({ reference, amount: 25, currency: 'EUR', cardLast4: '1111', cardToken: 'x', cardKey: wrappedKey, owner: 'alice' });
}

describe('rewrapCardKeys', () => {
  it('walks the whole book in pages of 100, moves every key to the current version, and reports what kms could not rewrap', async () => {
    const ring = WrappingKeys.loadOrCreate(join(dir, 'a', 'keys.json'), new ManualClock());
    const store = new LedgerStore(':memory:');
    book(store, ring, 'stranded');
    ring.rotate();
    for (let i = 0; i < 230; i++) book(store, ring, `ref-${i}`);
    ring.revoke(1);
    ring.rotate();
    for (let i = 0; i < 20; i++) book(store, ring, `new-${i}`);
    const calls: number[] = [];
    const outcome = await rewrapCardKeys(store, kmsOver(ring, calls));
    expect(calls).toEqual([100, 100, 51]);
    expect(outcome).toMatchObject({ currentVersion: 3, rewrapped: 230, unchanged: 20 });
    expect(outcome.failed).toEqual([{ entryId: store.byReference('stranded')[0]!.id, reason: 'kms_key_revoked', keyVersion: 1 }]);
    const versions = store.page('', 1000).map((e) => wrappedKeyVersion(e.cardKey));
    expect(versions.filter((v) => v === 3)).toHaveLength(250);
    // The rewrapped keys still open, for their own payment only.
    const entry = store.byReference('ref-7')[0]!;
    expect(ring.unwrap(entry.cardKey, cardKeyContext('ref-7'))).toMatchObject({ ok: true, version: 3 });
    expect(ring.unwrap(entry.cardKey, cardKeyContext('ref-8'))).toMatchObject({ ok: false, reason: 'kms_unwrap_failed' });
    // A second pass has nothing left to move.
    expect(await rewrapCardKeys(store, kmsOver(ring, []))).toMatchObject({ rewrapped: 0, unchanged: 250, failed: [{ reason: 'kms_key_revoked' }] });
    store.close();
  });

  it('stops with kms’ answer when kms refuses the batch or answers out of shape, and changes nothing', async () => {
    const ring = WrappingKeys.loadOrCreate(join(dir, 'b', 'keys.json'), new ManualClock());
    const store = new LedgerStore(':memory:');
    book(store, ring, 'one');
    ring.rotate();
    const before = store.byReference('one')[0]!.cardKey;
    await expect(rewrapCardKeys(store, async () => answer(403, { error: 'pdp_denied' }))).rejects.toThrow(new RewrapRefused(403, '{"error":"pdp_denied"}').message);
    await expect(rewrapCardKeys(store, async () => answer(200, { currentVersion: 2, results: [] }))).rejects.toThrow(/a different number of results/);
    expect(store.byReference('one')[0]!.cardKey).toBe(before);
    store.close();
  });
});
