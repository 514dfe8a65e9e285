import { describe, expect, test } from 'vitest';
import { MAX_DETAIL_CHARS, safeDetail } from './respond.ts';
import { fieldName } from './json-body.ts';

describe('error details', () => {
  test('attacker-chosen field names are capped and escaped', () => {
    const detail = safeDetail(`${fieldName('<script>\u0000' + 'x'.repeat(5000))}: unknown field; `.repeat(50));
    expect(detail.length).toBeLessThanOrEqual(MAX_DETAIL_CHARS + 3);
    expect(detail).not.toMatch(/[^\x20-\x7e]/);
    expect(detail).not.toContain('x'.repeat(41));
  });
});
