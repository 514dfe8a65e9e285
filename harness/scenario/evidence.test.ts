import { describe, expect, it } from 'vitest';
import { toJson } from './evidence.ts';

describe('toJson', () => {
  it('makes evidence JSON-safe and bounded', () => {
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    expect(toJson({ n: 10n, nan: Number.NaN, u: undefined, d: new Date(0), e: new Error('x'), b: Buffer.from('abc'), s: new Set([1]), m: new Map([['k', 'v']]), circular })).toEqual({
      n: '10',
      nan: 'NaN',
      d: '1970-01-01T00:00:00.000Z',
      e: { name: 'Error', message: 'x' },
      b: '[3 bytes]',
      s: [1],
      m: { k: 'v' },
      circular: { a: 1, self: '[circular]' },
    });
    expect((toJson('x'.repeat(5000)) as string).length).toBeLessThan(4200);
  });

  it('redacts secrets: token payloads and signatures, private keys, credential fields', () => {
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJzcGlmZmUifQ.c2lnbmF0dXJl';
    const out = JSON.stringify(toJson({ line: `Bearer ${jwt}`, authorization: 'Bearer abc', nested: { password: 'hunter2' }, pem: `-----BEGIN ${'PRIVATE'} KEY-----\nMIGH\n-----END ${'PRIVATE'} KEY-----` }));
    expect(out).not.toContain('eyJzdWIiOiJzcGlmZmUifQ');
    expect(out).not.toContain('c2lnbmF0dXJl');
    expect(out).toContain('eyJhbGciOiJFUzI1NiJ9.[redacted]');
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain('Bearer abc');
    expect(out).not.toContain('MIGH');
  });
});
