import { describe, expect, it } from 'vitest';
import { check, checkAtLeast, checkFind, checkMatch, checkPartial, checkThat, deepEqual, expectation } from './check.ts';

describe('checks', () => {
  it('check compares deeply', () => {
    expect(check('s', { status: 403, reason: 'token_replayed' }, { reason: 'token_replayed', status: 403 }).ok).toBe(true);
    expect(check('s', { status: 403 }, { status: 403, extra: 1 }).ok).toBe(false);
    expect(check('s', [1, 2], [2, 1]).ok).toBe(false);
    expect(deepEqual(new Date(5), new Date(5))).toBe(true);
    expect(deepEqual(Buffer.from('ab'), new Uint8Array([97, 98]))).toBe(true);
    expect(deepEqual(new Map([['a', 1]]), new Map([['a', 2]]))).toBe(false);
    expect(deepEqual(Number.NaN, Number.NaN)).toBe(true);
  });

  it('checkPartial and checkFind match subsets (a log line among many)', () => {
    const lines = [{ msg: 'request', status: 200 }, { msg: 'tls reject', reason: 'cert_expired', peer: { id: 'spiffe://meshgate.test/x' } }];
    expect(checkPartial('p', { reason: 'cert_expired' }, lines[1]).ok).toBe(true);
    expect(checkPartial('p', { reason: 'cert_revoked' }, lines[1]).ok).toBe(false);
    const found = checkFind('audit', { reason: 'cert_expired', peer: { id: 'spiffe://meshgate.test/x' } }, lines);
    expect(found).toMatchObject({ ok: true, observed: lines[1], evidence: lines[1] });
    expect(checkFind('audit', { reason: 'nope' }, lines)).toMatchObject({ ok: false, observed: { matched: 0, searched: 2 } });
  });

  it('numeric and pattern helpers', () => {
    expect(checkAtLeast('m', 1, 2)).toMatchObject({ ok: true, expected: '>= 1' });
    expect(checkAtLeast('m', 1, 0).ok).toBe(false);
    expect(checkAtLeast('m', 1, '5').ok).toBe(false);
    const g = /cert_\w+/g;
    expect(checkMatch('r', g, 'cert_expired').ok).toBe(true);
    expect(checkMatch('r', g, 'cert_expired').ok).toBe(true);
    expect(checkMatch('r', g, 42).ok).toBe(false);
    expect(checkThat('t', { ok: false, expected: 'a', observed: 'b' })).toEqual({ name: 't', ok: false, expected: 'a', observed: 'b' });
  });

  it('bad arguments are TypeErrors', () => {
    expect(() => check('', 1, 1)).toThrow(TypeError);
    expect(() => checkAtLeast('m', Number.NaN, 1)).toThrow(/min must be a finite number/);
    expect(() => expectation('x' as never)).toThrow(/control must be an array/);
  });
});
