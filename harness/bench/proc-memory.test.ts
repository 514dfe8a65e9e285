import { describe, expect, test } from 'vitest';
import { procRssMb, procUssMb } from './proc-memory.ts';

describe('process memory', () => {
  test('the private part of a process is part of its resident memory and moves with what it allocates', () => {
    const rss = procRssMb(process.pid);
    const before = procUssMb(process.pid);
    expect(before).toBeGreaterThan(1);
    expect(before).toBeLessThanOrEqual(rss);
    // 64 MB written, so resident: it is this process's own and nobody else's.
    const block = Buffer.alloc(64 * 1024 * 1024, 1);
    expect(procUssMb(process.pid) - before).toBeGreaterThan(48);
    expect(block[block.length - 1]).toBe(1);
  });

  test('a process that is not there is an error, not a zero', () => {
    expect(() => procUssMb(2 ** 22 + 1)).toThrow(/ENOENT/);
  });
});
