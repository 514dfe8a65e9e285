/**
 * bench.html and bench.md rendered from one report: the charts the issue names are there (the ladder as
 * bars with whiskers, a percentile curve per rung, the side-by-side baselines), every inline SVG is an
 * XML document xmllint accepts, and a missing tool shows as a missing rung.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireTool } from '../test-support/require-tool.ts';
import { useTempDirs } from '../test-support/temp-dirs.ts';
import { seededRandom } from '../stats/bootstrap.ts';
import { QUICK } from './bench-config.ts';
import { BENCH_FORMAT, type BenchReport } from './bench-report.ts';
import { figureOf, type Figure } from './figure.ts';
import { renderBenchHtml } from './html.ts';
import { LADDER } from './ladder-rungs.ts';
import { renderBenchMarkdown } from './markdown.ts';

const tempDir = useTempDirs();
const random = seededRandom(7);
const reps = (centre: number) => Array.from({ length: QUICK.repetitions }, () => centre * (0.9 + 0.2 * random()));
const fig = (id: string, label: string, centre: number, unit: Figure['unit'] = 'µs', better: Figure['better'] = 'lower') => figureOf({ id, label, unit, better }, reps(centre));

function report(): BenchReport {
  const figures: Figure[] = [];
  LADDER.forEach((rung, i) => {
    figures.push(fig(`ladder.${rung.id}.p50`, `${rung.label}, p50`, 150 + 100 * i));
    figures.push(fig(`ladder.${rung.id}.cpu`, `${rung.label}, server CPU per request`, 100 + 80 * i));
  });
  for (const target of ['openssl', 'meshgate']) for (const mode of ['new', 'reuse']) figures.push(fig(`baseline.stime.${target}.${mode}`, `${target} s_time -${mode}`, mode === 'new' ? 900 : 2500, 'per_s', 'higher'));
  for (const id of ['baseline.sidecar.p50', 'baseline.in-process.p50', 'baseline.sidecar.p99', 'baseline.in-process.p99']) figures.push(fig(id, id, id.includes('sidecar') ? 600 : 300));
  const curve = (p50: number): Array<[number, number]> => [[0, p50 / 2], [50, p50], [90, p50 * 2], [99, p50 * 5], [99.9, p50 * 9]];
  return {
    format: BENCH_FORMAT,
    startedAt: '2026-12-07T08:00:00.000Z',
    wallSeconds: 100,
    config: QUICK,
    suites: ['ladder', 'baselines'],
    environment: { cpuModel: 'AMD EPYC <test>', cores: 2, cpuFlags: ['aes'], memoryMB: 8000, kernel: '6.1', platform: 'linux', node: 'v24', nodeOpenssl: '3.5', opensslCli: 'OpenSSL 3.0', nginx: undefined, loadAverageBefore: [0.1, 0.2, 0.3], loadAverageAfter: [0.4, 0.5, 0.6] },
    figures,
    curves: [...LADDER.map((rung, i) => ({ name: `ladder.${rung.id}`, label: rung.label, points: curve(150 + 100 * i) })), { name: 'baseline.sidecar', label: 'sidecar', points: curve(600) }],
    missing: [{ rung: 'nginx mTLS sidecar', tool: 'nginx', debianPackage: 'nginx', reason: 'nginx is not installed (Debian: apt-get install nginx)' }],
    notes: [],
  };
}

/** The inline SVG documents of a page, in order. */
const svgsOf = (html: string): string[] => [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
const titleOf = (svg: string): string => /font-weight="bold"[^>]*>([^<]*)</.exec(svg)?.[1] ?? svg.slice(0, 200);

describe('bench report rendering', () => {
  const r = report();
  const html = renderBenchHtml(r);
  const svgs = svgsOf(html);
  const chart = (title: string): string => {
    const found = svgs.find((s) => s.includes(title));
    expect(found, `a chart titled "${title}" among ${svgs.map(titleOf).join(' | ')}`).toBeDefined();
    return found!;
  };

  it('draws the ladder as one bar per rung with its 95 % whisker', () => {
    const ladder = chart('Cost ladder, p50 per rung');
    expect(ladder.match(/<rect /g)?.length).toBeGreaterThanOrEqual(LADDER.length);
    for (const rung of LADDER) expect(ladder).toContain(`>${rung.id}<`);
    // a whisker is a horizontal line and two end caps per bar
    expect(ladder.match(/<line /g)?.length).toBeGreaterThanOrEqual(3 * LADDER.length);
    chart('Server CPU per request per rung');
  });

  it('draws a latency percentile curve per rung and the side-by-side baselines', () => {
    const curves = chart('Latency by percentile, per rung');
    for (const rung of LADDER) expect(curves).toContain(`>${rung.id}<`);
    expect(curves.match(/<path /g)).toHaveLength(LADDER.length);
    const stime = chart('mTLS connections per second, openssl s_time');
    for (const name of ['openssl.new', 'openssl.reuse', 'meshgate.new', 'meshgate.reuse']) expect(stime).toContain(`>${name}<`);
    const sidecar = chart('nginx mTLS sidecar vs meshgate in-process mTLS');
    for (const name of ['sidecar.p50', 'in-process.p50']) expect(sidecar).toContain(`>${name}<`);
  });

  it('every inline SVG is well-formed XML to xmllint, and the page needs no network or script', () => {
    const xmllint = requireTool('xmllint', 'libxml2-utils');
    const dir = tempDir('mg-bench-render-');
    expect(svgs.length).toBeGreaterThanOrEqual(5);
    for (const svg of svgs) expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    svgs.forEach((svg, i) => {
      const file = join(dir, `chart-${i}.svg`);
      writeFileSync(file, svg);
      const lint = spawnSync(xmllint, ['--noout', file], { encoding: 'utf8', timeout: 10_000 });
      expect(lint.status, `${titleOf(svg)}: ${lint.stderr}`).toBe(0);
    });
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(html).toContain('&lt;test&gt;');
  });

  it('names a missing tool as a missing rung with its package, in the page and in the Markdown', () => {
    expect(html).toContain('<h2>Missing rungs</h2>');
    expect(html).toContain('nginx is not installed (Debian: apt-get install nginx)');
    const md = renderBenchMarkdown(r);
    expect(md).toMatch(/Missing rungs[\s\S]*nginx mTLS sidecar[\s\S]*apt-get install nginx/);
    expect(md).toContain('quick profile');
  });
});
