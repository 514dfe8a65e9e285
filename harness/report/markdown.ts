/** Markdown summary fit for $GITHUB_STEP_SUMMARY. Hostile text is escaped, never raw HTML. */
import { failedChecks, type Outcome } from '../scenario/result.ts';
import type { RunReport } from './run-report.ts';
import { baselineFor, escapeHtml, escapeMarkdown, formatDelta, formatLatencyDelta, formatMs, formatPercent, formatPretty, formatUs, formatValue, problemsFirst, ratio, scenarioAnchor } from './text.ts';

export const OUTCOME_ICON: Record<Outcome, string> = { passed: '✅', failed: '❌', error: '⚠️', skipped: '⏭️' };

const md = escapeMarkdown;

export function renderMarkdown(report: RunReport): string {
  const { summary } = report;
  const out: string[] = [];
  const verdict = report.verdict === 'pass' ? '✅ PASS' : '❌ FAIL';
  out.push(`## meshgate: ${verdict}`, '');
  const counts = [`**${summary.total}** scenarios`, `${summary.passed} passed`, `${summary.failed} failed`, `${summary.error} errors`, `${summary.skipped} skipped`];
  if (report.mutation) counts.push(`kill rate ${formatPercent(report.mutation.killRate)}`);
  out.push(`${counts.join(' · ')} · ${formatMs(report.durationMs)}${report.aborted ? ' · **interrupted**' : ''}`, '');
  out.push(`Run ${md(report.runId)} · ${md(report.tool.name)} ${md(report.tool.version)} · ${md(report.environment.engine)} engine · Node ${md(report.environment.node)} · exit code ${report.exitCode}`, '');

  // Failures first: a banner naming and linking each failed or errored scenario, then their details.
  const problemList = report.scenarios.filter((s) => s.outcome === 'failed' || s.outcome === 'error');
  const survivors = report.mutation?.mutants.filter((m) => m.survived || m.error !== undefined) ?? [];
  if (problemList.length > 0 || survivors.length > 0 || report.reportLeaks.length > 0) {
    const named = problemList.map((s) => `${OUTCOME_ICON[s.outcome]} [${md(s.id)}](#${scenarioAnchor(s.id)}) (${s.outcome})`);
    const parts = [];
    if (problemList.length > 0) parts.push(`${problemList.filter((s) => s.outcome === 'failed').length} failed, ${problemList.filter((s) => s.outcome === 'error').length} errored: ${named.join(' · ')}`);
    if (survivors.length > 0) parts.push(`mutants not killed: ${survivors.map((m) => md(m.mutant.id)).join(', ')}`);
    if (report.reportLeaks.length > 0) parts.push(`${report.reportLeaks.length} secrets found in the reports`);
    out.push(`> **Needs attention** — ${parts.join(' · ')}`, '');
  }

  if (problemList.length > 0) {
    out.push('### Failures', '');
    for (const s of problemList) {
      out.push(`<a id="${scenarioAnchor(s.id)}"></a>`, '', `#### ${OUTCOME_ICON[s.outcome]} ${md(s.id)}: ${md(s.title)}`, '');
      out.push(`*${md(s.threat)}*`, '');
      if (s.control) out.push(`Control (${md(s.control.kind)}): ${md(s.control.description)} — ${md(s.control.location)}`, '');
      if (s.file) out.push(`Scenario file: ${md(s.file)} · run it alone: <code>npx meshgate run ${md(s.id)}</code>`, '');
      if (s.message) out.push(`${md(s.message)}`, '');
      for (const { kind, check } of failedChecks(s)) {
        out.push(`- **${kind}** ${md(check.name)}: expected <code>${md(formatValue(check.expected))}</code>, observed <code>${md(formatValue(check.observed))}</code>`);
        if (check.evidence !== undefined) out.push(`  <details><summary>evidence</summary><pre>${escapeHtml(formatPretty(check.evidence, 2000))}</pre></details>`);
      }
      for (const e of s.errors) out.push(`- **error** (${md(e.phase)}): ${md(e.message)}`);
      out.push(`- correlation id: ${md(s.correlationId)}`, '');
    }
  }

  if (report.scenarios.length > 0) {
    out.push('### Scenarios', '');
    out.push('| | Scenario | Severity | Outcome | Control | Detection | Handshake p50 | Time |', '|---|---|---|---|---|---|---|---|');
    for (const s of problemsFirst(report.scenarios)) {
      const hs = s.latency.handshakeP50Us;
      const delta = formatLatencyDelta('handshakeP50Us', s.latency, report.baseline);
      out.push(
        `| ${OUTCOME_ICON[s.outcome]} | ${s.outcome === 'failed' || s.outcome === 'error' ? `[**${md(s.id)}**](#${scenarioAnchor(s.id)})` : `**${md(s.id)}**`}<br>${md(s.title)} | ${md(s.severity)} | ${md(s.outcome)} | ${ratio(s.checks.control)} | ${ratio(s.checks.detection)} | ${formatUs(hs)}${delta ? ` (${delta})` : ''} | ${formatMs(s.durationMs)} |`,
      );
    }
    out.push('');
  }

  if (report.mutation && report.mutation.mutants.length > 0) {
    const m = report.mutation;
    out.push(`### Mutation: kill rate ${formatPercent(m.killRate)} (${m.mutants.length - m.survived.length - m.mutants.filter((x) => x.error).length}/${m.mutants.length} killed)`, '');
    out.push('| | Mutant | Fault | Location | Killed by |', '|---|---|---|---|---|');
    for (const r of m.mutants) {
      const icon = r.error !== undefined ? '⚠️' : r.survived ? '❌ survived' : '✅ killed';
      const killedBy = r.error !== undefined ? md(r.error) : r.killedBy.length ? r.killedBy.map(md).join(', ') : '—';
      out.push(`| ${icon} | **${md(r.mutant.id)}**<br>${md(r.mutant.title)} | ${md(r.mutant.fault)} | ${md(r.mutant.location.uri)} | ${killedBy} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
