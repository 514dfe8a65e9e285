import { describe, expect, test } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { pairedLoop } from './load.ts';

describe('paired loop', () => {
  test('sends each request once per round, starting with the next one each round, and records only the measured rounds', async () => {
    const order: string[] = [];
    const send = (name: string) => async () => void order.push(name);
    const [a, b, c] = await pairedLoop([send('a'), send('b'), send('c')], { requests: 4, warmup: 2, timeoutMs: 10_000 });
    expect(order.join('')).toBe('abcbcacababcbcacab');
    for (const h of [a!, b!, c!]) expect(h.totalCount).toBe(4);
  });

  test('each histogram holds its own request: a slow one beside a fast one', async () => {
    const [fast, slow] = await pairedLoop([async () => undefined, () => sleep(5)], { requests: 5, warmup: 0, timeoutMs: 10_000 });
    expect(slow!.getValueAtPercentile(50)).toBeGreaterThan(fast!.getValueAtPercentile(50));
    expect(slow!.minNonZeroValue).toBeGreaterThanOrEqual(4_000);
  });

  test('refuses fewer than two requests or bad counts, and stops at its bound', async () => {
    await expect(pairedLoop([async () => undefined], { requests: 1, warmup: 0, timeoutMs: 1000 })).rejects.toThrow(/at least two requests/);
    await expect(pairedLoop([async () => undefined, async () => undefined], { requests: 1.5, warmup: 0, timeoutMs: 1000 })).rejects.toThrow(/requests must be a whole number/);
    await expect(pairedLoop([() => sleep(20), () => sleep(20)], { requests: 1000, warmup: 0, timeoutMs: 100 })).rejects.toThrow(/did not finish within 100 ms/);
  });
});
