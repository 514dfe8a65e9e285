/** Writes the chosen report formats into one folder. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import type { RunReport } from './run-report.ts';
import { renderSarif } from './sarif.ts';
import { GATE_METRICS_FILE, renderGateMetrics } from './gate-metrics.ts';

export const REPORT_FORMATS = ['json', 'junit', 'sarif', 'md', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const REPORT_FILES: Record<ReportFormat, string> = { json: 'report.json', junit: 'junit.xml', sarif: 'results.sarif', md: 'summary.md', html: 'report.html' };

const RENDERERS: Record<ReportFormat, (report: RunReport) => string> = {
  json: (report) => `${JSON.stringify(report, null, 2)}\n`,
  junit: renderJunit,
  sarif: renderSarif,
  md: renderMarkdown,
  html: renderHtml,
};

const PACKAGE_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** reports/<timestamp>/ under the package root, e.g. reports/2025-11-23T09-33-00Z. */
export function defaultReportDir(at: Date = new Date(), root: string = PACKAGE_ROOT): string {
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new TypeError('defaultReportDir: at must be a valid Date');
  return join(root, 'reports', at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-'));
}

/** Parses a comma list such as "json,junit,html" (the CLI's --format). */
export function parseReportFormats(list: string): ReportFormat[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !(REPORT_FORMATS as readonly string[]).includes(n));
  if (bad.length > 0 || names.length === 0) throw new TypeError(`report formats must be a comma list of ${REPORT_FORMATS.join(', ')} (got ${bad.length ? bad.map((b) => JSON.stringify(b)).join(', ') : 'nothing'})`);
  return [...new Set(names)] as ReportFormat[];
}

/** Renders every format first (so a renderer bug writes nothing half-way), then writes; returns absolute paths in format order. */
export async function writeReports(report: RunReport, dir: string, formats: readonly ReportFormat[] = REPORT_FORMATS): Promise<string[]> {
  const problems: string[] = [];
  if (report === null || typeof report !== 'object' || !Array.isArray(report.scenarios)) problems.push('report must be a RunReport');
  if (typeof dir !== 'string' || dir === '') problems.push('dir must be a non-empty path');
  if (!Array.isArray(formats) || formats.length === 0) problems.push(`formats must be a non-empty list of ${REPORT_FORMATS.join(', ')}`);
  else for (const f of formats) if (!(REPORT_FORMATS as readonly string[]).includes(f)) problems.push(`unknown format ${JSON.stringify(f)} (known: ${REPORT_FORMATS.join(', ')})`);
  if (problems.length > 0) throw new TypeError(`writeReports: ${problems.join('; ')}`);

  const unique = [...new Set(formats)];
  const rendered = unique.map((format) => ({ path: resolve(dir, REPORT_FILES[format]), text: RENDERERS[format](report) }));
  await mkdir(dir, { recursive: true });
  for (const { path, text } of rendered) await writeFile(path, text, 'utf8');
  await writeFile(resolve(dir, GATE_METRICS_FILE), renderGateMetrics(report), 'utf8');
  return rendered.map((r) => r.path);
}
