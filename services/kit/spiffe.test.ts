import { describe, expect, test } from 'vitest';
import { checkSpiffeId, isAllowedCaller } from './spiffe.ts';

describe('SPIFFE IDs', () => {
  test.each([
    ['', 'does not start with the scheme'],
    ['SPIFFE://meshgate.test/gateway', 'does not start with the scheme'],
    ['spiffe:///gateway', 'empty trust domain'],
    ['spiffe://Meshgate.test/gateway', 'trust domain "Meshgate.test"'],
    ['spiffe://meshgate.test:443/gateway', 'no port or user info'],
    ['spiffe://meshgate.test', 'has no path'],
    ['spiffe://meshgate.test/', 'ends with a slash'],
    ['spiffe://meshgate.test/gateway/', 'empty path segment'],
    ['spiffe://meshgate.test//gateway', 'empty path segment'],
    ['spiffe://meshgate.test/./gateway', '"." path segment'],
    ['spiffe://meshgate.test/gateway/../operator', '".." path segment'],
    ['spiffe://meshgate.test/gate%77ay', 'outside A-Z a-z 0-9 . - _'],
    ['spiffe://meshgate.test/gateway?x=1', 'outside A-Z a-z 0-9 . - _'],
    ['spiffe://meshgate.test/gateway#f', 'outside A-Z a-z 0-9 . - _'],
    [`spiffe://meshgate.test/${'a'.repeat(2100)}`, 'longer than 2048'],
  ])('%j is refused: %s', (id, problem) => {
    const check = checkSpiffeId(id);
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.problem).toContain(problem);
  });

  test('valid IDs parse into trust domain and whole path', () => {
    expect(checkSpiffeId('spiffe://meshgate.test/evil/operator')).toEqual({ ok: true, id: { trustDomain: 'meshgate.test', path: '/evil/operator' } });
    expect(checkSpiffeId('spiffe://other.test/gateway').ok).toBe(true);
  });

  test('a caller list matches whole IDs only, never the last segment', () => {
    const callers = ['operator', 'gateway'];
    expect(isAllowedCaller(callers, 'spiffe://meshgate.test/operator')).toBe(true);
    for (const id of ['spiffe://meshgate.test/evil/operator', 'spiffe://meshgate.test/gateway/../operator', 'spiffe://other.test/operator', 'spiffe://meshgate.test/operator/', 'spiffe://meshgate.test/xoperator']) {
      expect(isAllowedCaller(callers, id), id).toBe(false);
    }
    expect(isAllowedCaller(callers, undefined)).toBe(false);
  });
});
