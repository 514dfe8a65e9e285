import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main.ts';
import { assertBenchReport } from './bench-report.ts';

const dir = mkdtempSync(join(tmpdir(), 'meshgate-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) }, out, err };
}

describe('meshgate bench', () => {
  it('runs one suite with --quick end to end and writes bench.json, bench.md and bench.html', { timeout: 90_000 }, async () => {
    const { io, err } = capture();
    expect(await main(['bench', 'connections', '--quick', '--report-dir', dir], io), err.join('')).toBe(0);
    const report: unknown = JSON.parse(readFileSync(join(dir, 'bench.json'), 'utf8'));
    assertBenchReport(report, 'bench.json');
    expect(report.config.profile).toBe('quick');
    expect(report.suites).toEqual(['connections']);
    for (const mode of ['keep-alive', 'full', 'resumed']) {
      const p50 = report.figures.find((f) => f.id === `connections.${mode}.p50`)!;
      expect(p50.reps).toHaveLength(report.config.repetitions);
      expect(p50.low).toBeLessThanOrEqual(p50.estimate);
      expect(p50.high).toBeGreaterThanOrEqual(p50.estimate);
    }
    expect(report.figures.map((f) => f.id)).toContain('connections.resumed.rate');
    expect(report.curves.map((c) => c.name)).toEqual(expect.arrayContaining(['connections.full', 'connections.resumed']));
    expect(report.environment.cpuModel).not.toBe('');
    expect(report.environment.loadAverageAfter).toHaveLength(3);
    const md = readFileSync(join(dir, 'bench.md'), 'utf8');
    expect(md).toContain('`connections.full.p50`');
    expect(md).toContain('quick profile');
    const html = readFileSync(join(dir, 'bench.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('compare exits 0 on the same report and 2 naming what is wrong with a bad file or threshold', async () => {
    const file = join(dir, 'bench.json');
    const same = capture();
    expect(await main(['bench', 'compare', file, file], same.io)).toBe(0);
    expect(same.out.join('')).toContain('0 regressions');
    const bad = capture();
    expect(await main(['bench', 'compare', file, join(dir, 'bench.md')], bad.io)).toBe(2);
    expect(bad.err.join('')).toContain('bench.md');
    const threshold = capture();
    expect(await main(['bench', 'compare', file, file, '--threshold', 'ten'], threshold.io)).toBe(2);
    expect(threshold.err.join('')).toContain('--threshold must be a percentage');
    const suite = capture();
    expect(await main(['bench', 'nosuch'], suite.io)).toBe(2);
    expect(suite.err.join('')).toContain('unknown bench suite "nosuch"');
  });
});
