/**
 * Inside a GitHub Actions job (GITHUB_ACTIONS=true): one `::error file=…,line=…::` workflow command per
 * failed or errored scenario, mutant not killed and secret found in the reports, and the Markdown summary
 * appended to the job's step summary ($GITHUB_STEP_SUMMARY).
 */
import { appendFileSync } from 'node:fs';
import { failedChecks } from '../scenario/result.ts';
import { renderMarkdown } from './markdown.ts';
import type { RunReport } from './run-report.ts';
import { regionFor } from './source-region.ts';
import { formatValue } from './text.ts';

/** Message text of a workflow command: %, CR and LF are encoded (GitHub's toolkit escapeData). */
function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value additionally encodes : and , (GitHub's toolkit escapeProperty). */
function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function errorCommand(props: { file?: string; line?: number; title: string }, message: string): string {
  const parts = [props.file ? `file=${escapeProperty(props.file)}` : '', props.line ? `line=${props.line}` : '', `title=${escapeProperty(props.title)}`].filter(Boolean);
  return `::error ${parts.join(',')}::${escapeData(message)}`;
}

export function annotationLines(report: RunReport): string[] {
  const lines: string[] = [];
  for (const s of report.scenarios) {
    if (s.outcome !== 'failed' && s.outcome !== 'error') continue;
    // A failed control points at what should have held; an errored scenario at the scenario itself.
    const at = s.outcome === 'failed' && s.control ? { file: s.control.location, line: regionFor(s.control.location, s.control.region, { kind: s.control.kind, description: s.control.description }).startLine } : s.file ? { file: s.file, line: regionFor(s.file, undefined).startLine } : {};
    const detail =
      s.outcome === 'failed'
        ? failedChecks(s).map(({ kind, check }) => `${kind}/${check.name}: expected ${formatValue(check.expected, 200)}, observed ${formatValue(check.observed, 200)}`)
        : s.errors.map((e) => `[${e.phase}] ${e.message}`);
    const where = s.file && s.file !== at.file ? [`scenario: ${s.file}`] : [];
    lines.push(errorCommand({ ...at, title: `meshgate ${s.outcome}: ${s.id}` }, [`${s.title}${s.message ? ` — ${s.message}` : ''}`, ...detail, ...where, `correlation id: ${s.correlationId}`].join('\n')));
  }
  for (const m of report.mutation?.mutants ?? []) {
    if (!m.survived && m.error === undefined) continue;
    const { uri, region, setting } = m.mutant.location;
    const line = regionFor(uri, region, setting ? { setting } : {}).startLine;
    const message = m.error !== undefined ? `mutant ${m.mutant.id} could not run: ${m.error}` : `mutant ${m.mutant.id} survived: no scenario failed when ${m.mutant.fault}`;
    lines.push(errorCommand({ file: uri, line, title: `meshgate mutant ${m.error !== undefined ? 'error' : 'survived'}: ${m.mutant.id}` }, message));
  }
  for (const leak of report.reportLeaks) lines.push(errorCommand({ title: 'meshgate: secret in a report' }, leak));
  return lines;
}

export interface GithubActionsOutput {
  annotations: string[];
  /** The step summary file appended to, when the job has one. */
  stepSummary?: string;
}

/** Does nothing outside GitHub Actions. */
export function publishToGithubActions(report: RunReport, env: NodeJS.ProcessEnv, write: (line: string) => void): GithubActionsOutput {
  if (env.GITHUB_ACTIONS !== 'true') return { annotations: [] };
  const annotations = annotationLines(report);
  for (const line of annotations) write(line);
  const summary = env.GITHUB_STEP_SUMMARY;
  if (!summary) return { annotations };
  appendFileSync(summary, `${renderMarkdown(report)}\n`, 'utf8');
  return { annotations, stepSummary: summary };
}
