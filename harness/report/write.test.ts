import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultReportDir, parseReportFormats, writeReports } from './write.ts';
import { sampleReport } from '../test-support/sample-report.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('writeReports', () => {
  it('writes each requested format under its fixed name; report.json round-trips', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'meshgate-report-')), 'nested', 'run');
    dirs.push(dir);
    const report = sampleReport();
    const paths = await writeReports(report, dir, ['json', 'junit', 'sarif', 'md', 'html']);
    expect(paths.map((p) => p.slice(dir.length + 1))).toEqual(['report.json', 'junit.xml', 'results.sarif', 'summary.md', 'report.html']);
    expect(JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'))).toEqual(report);
    expect(await readFile(join(dir, 'junit.xml'), 'utf8')).toMatch(/^<\?xml/);
  });

  it('writes only what is asked', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshgate-report-'));
    dirs.push(dir);
    expect(await writeReports(sampleReport(), dir, ['md'])).toEqual([join(dir, 'summary.md')]);
  });

  it('rejects unknown formats, every one named', async () => {
    await expect(writeReports(sampleReport(), '/tmp/x', ['json', 'pdf', 'xls'] as never)).rejects.toThrow(/"pdf".*"xls"/);
    expect(() => parseReportFormats('json, html,bogus')).toThrow(/"bogus"/);
    expect(parseReportFormats('json,html,json')).toEqual(['json', 'html']);
  });

  it('default dir is reports/<timestamp>/', () => {
    expect(defaultReportDir(new Date('2025-11-23T09:33:00.123Z'), '/repo')).toBe('/repo/reports/2025-11-23T09-33-00Z');
  });
});
