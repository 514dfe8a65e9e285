/**
 * One offline, self-contained HTML page: verdict on top, scenarios with
 * collapsible evidence, latency against the baseline, mutants. No scripts and
 * no external assets; a CSP forbids both in case anything slipped through.
 */
import { LATENCY_KEYS } from '../scenario/latency.ts';
import { failedChecks, type CheckResult, type ScenarioResult } from '../scenario/result.ts';
import type { RunReport } from './run-report.ts';
import { barChart, type Bar } from '../charts/svg-chart.ts';
import { baselineFor, escapeHtml as h, formatDelta, formatLatencyDelta, formatMs, formatPercent, formatPretty, formatUs, formatValue, problemsFirst, ratio, scenarioAnchor } from './text.ts';

const CSS = `
:root{color-scheme:light dark;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--mute:#6e7781;--line:#d0d7de;--bg2:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--line:#30363d;--bg2:#161b22;--mute:#8b949e}}
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1rem 1.5rem}
header.verdict{border-radius:8px;padding:1rem 1.5rem;margin-bottom:1.5rem;color:#fff}
header.pass{background:var(--ok)}header.fail{background:var(--bad)}
header h1{margin:0 0 .25rem;font-size:2rem}header p{margin:.15rem 0}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{border-bottom:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:var(--bg2)}td.num{text-align:right;white-space:nowrap}
.passed,.killed{color:var(--ok)}.failed,.survived{color:var(--bad)}.error{color:var(--warn)}.skipped{color:var(--mute)}
.outcome{font-weight:600;white-space:nowrap}.muted{color:var(--mute)}
pre{background:var(--bg2);padding:.5rem;overflow:auto;max-height:24rem;white-space:pre-wrap;word-break:break-all;margin:.25rem 0}
details>summary{cursor:pointer;color:var(--mute)}code{font-size:90%}
tr.detail>td{border-bottom:2px solid var(--line);padding-top:0}
nav.attention{border:2px solid var(--bad);border-radius:8px;padding:.5rem 1rem;margin-bottom:1.5rem}
nav.attention h2{margin:.25rem 0;font-size:1.15rem;color:var(--bad)}nav.attention ul{margin:.25rem 0;padding-left:1.25rem}
figure.chart{margin:.5rem 0 1.5rem;overflow-x:auto}figure.chart svg{max-width:100%;height:auto;background:#fff;color:#000}
figcaption{color:var(--mute)}
`;

/** Failures first: every failed or errored scenario (and mutant not killed), named and linked to its row. */
function attentionBanner(report: RunReport): string {
  const problems = report.scenarios.filter((s) => s.outcome === 'failed' || s.outcome === 'error');
  const mutants = report.mutation?.mutants.filter((m) => m.survived || m.error !== undefined) ?? [];
  if (problems.length === 0 && mutants.length === 0 && report.reportLeaks.length === 0) return '';
  const items = problems.map(
    (s) => `<li><span class="outcome ${h(s.outcome)}">${h(s.outcome)}</span> <a href="#${scenarioAnchor(s.id)}"><strong>${h(s.id)}</strong></a> — ${h(s.title)}${s.message ? ` <span class="muted">(${h(s.message)})</span>` : ''}</li>`,
  );
  items.push(...mutants.map((m) => `<li><span class="outcome ${m.error !== undefined ? 'error' : 'survived'}">${m.error !== undefined ? 'error' : 'survived'}</span> <a href="#mutant-${scenarioAnchor(m.mutant.id)}"><strong>mutant ${h(m.mutant.id)}</strong></a> — ${h(m.mutant.title)}</li>`));
  if (report.reportLeaks.length > 0) items.push(`<li><span class="outcome failed">leak</span> ${report.reportLeaks.length} secrets found in the reports: ${report.reportLeaks.map((l) => `<code>${h(l)}</code>`).join(' ')}</li>`);
  return `<nav class="attention" aria-label="needs attention"><h2>Needs attention: ${problems.filter((s) => s.outcome === 'failed').length} failed, ${problems.filter((s) => s.outcome === 'error').length} errored${mutants.length ? `, ${mutants.length} mutants not killed` : ''}</h2><ul>${items.join('')}</ul></nav>`;
}

function checkTable(title: string, checks: readonly CheckResult[]): string {
  if (checks.length === 0) return '';
  const rows = checks
    .map(
      (c) =>
        `<tr><td class="outcome ${c.ok ? 'passed' : 'failed'}">${c.ok ? '✓' : '✗'}</td><td>${h(c.name)}</td><td><code>${h(formatValue(c.expected, 500))}</code></td><td><code>${h(formatValue(c.observed, 500))}</code></td><td>${
          c.evidence === undefined ? '' : `<details><summary>evidence</summary><pre>${h(formatPretty(c.evidence))}</pre></details>`
        }</td></tr>`,
    )
    .join('');
  return `<h4>${h(title)}</h4><table><thead><tr><th></th><th>Check</th><th>Expected</th><th>Observed</th><th>Evidence</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function detail(s: ScenarioResult): string {
  const parts: string[] = [`<p>${h(s.threat)}</p>`];
  if (s.message) parts.push(`<p class="${h(s.outcome)}">${h(s.message)}</p>`);
  if (s.control) parts.push(`<p>Control (${h(s.control.kind)}): ${h(s.control.description)} — <code>${h(s.control.location)}${s.control.region ? `:${s.control.region.startLine}` : ''}</code></p>`);
  parts.push(`<p class="muted">correlation id <code>${h(s.correlationId)}</code>${s.file ? ` · <code>${h(s.file)}</code>` : ''}${s.tags.length ? ` · tags ${s.tags.map((t) => `<code>${h(t)}</code>`).join(' ')}` : ''}</p>`);
  parts.push(checkTable('Control', s.checks.control), checkTable('Detection', s.checks.detection), checkTable('Steady state before', s.checks.steadyStateBefore), checkTable('Steady state after', s.checks.steadyStateAfter));
  if (s.errors.length) parts.push(`<h4>Harness errors</h4>${s.errors.map((e) => `<pre>[${h(e.phase)}] ${h(e.message)}${e.stack ? `\n${h(e.stack)}` : ''}</pre>`).join('')}`);
  parts.push(`<h4>Phases</h4><table><tbody>${s.phases.map((p) => `<tr><td>${h(p.phase)}</td><td class="${h(p.status === 'ok' ? 'passed' : p.status)}">${h(p.status)}</td><td class="num">${h(formatMs(p.durationMs))}</td><td>${h(p.message ?? '')}</td></tr>`).join('')}</tbody></table>`);
  const open = s.outcome === 'failed' || s.outcome === 'error' ? ' open' : '';
  return `<details${open}><summary>details and evidence</summary>${parts.join('')}</details>`;
}

function scenarioRows(report: RunReport): string {
  return problemsFirst(report.scenarios)
    .map((s) => {
      const hs = s.latency.handshakeP50Us;
      const delta = formatLatencyDelta('handshakeP50Us', s.latency, report.baseline);
      return (
        `<tr id="${scenarioAnchor(s.id)}"><td class="outcome ${h(s.outcome)}">${h(s.outcome)}</td><td><strong>${h(s.id)}</strong><br>${h(s.title)}</td><td>${h(s.plane)}</td><td>${h(s.severity)}</td>` +
        `<td class="num">${ratio(s.checks.control)}</td><td class="num">${ratio(s.checks.detection)}</td><td class="num">${h(formatUs(hs))}${delta ? ` <span class="muted">(${h(delta)})</span>` : ''}</td><td class="num">${h(formatMs(s.durationMs))}</td></tr>` +
        `<tr class="detail"><td></td><td colspan="7">${detail(s)}</td></tr>`
      );
    })
    .join('');
}

function latencySection(report: RunReport): string {
  const known = Object.keys(LATENCY_KEYS).filter((k) => !k.startsWith('baseline'));
  const keys = known.filter((k) => report.baseline[k] !== undefined || report.scenarios.some((s) => s.latency[k] !== undefined));
  if (keys.length === 0) return '';
  const head = `<tr><th>Scenario</th>${keys.map((k) => `<th>${h(k)}</th>`).join('')}</tr>`;
  const base = `<tr><td><em>baseline</em></td>${keys.map((k) => `<td class="num">${h(formatUs(report.baseline[k]))}</td>`).join('')}</tr>`;
  const rows = report.scenarios
    .filter((s) => keys.some((k) => s.latency[k] !== undefined))
    .map((s) => `<tr><td>${h(s.id)}</td>${keys.map((k) => {
      const delta = formatLatencyDelta(k, s.latency, report.baseline);
      return `<td class="num">${h(formatUs(s.latency[k]))}${delta ? ` <span class="muted">(${h(delta)})</span>` : ''}</td>`;
    }).join('')}</tr>`)
    .join('');
  const legend = keys.map((k) => `<code>${h(k)}</code>: ${h(LATENCY_KEYS[k as keyof typeof LATENCY_KEYS])}`).join(' · ');
  return `<section><h2>Latency vs baseline</h2><p class="muted">${legend} · a delta marked * differs from the baseline (its bootstrap 95 % interval excludes zero), n.s. does not; a p99 is shown only from 100 samples on</p><table><thead>${head}</thead><tbody>${base}${rows}</tbody></table></section>`;
}

/**
 * Per-scenario median against the pooled baseline: the bar is the scenario's p50, the whisker the
 * baseline's p50 plus the bootstrap 95 % interval of the difference; "*" marks an interval that excludes zero.
 */
function latencyChart(report: RunReport, kind: 'handshake' | 'request', title: string): string {
  const base = report.baseline[`${kind}P50Us`];
  if (base === undefined) return '';
  const bars: Bar[] = [{ label: `baseline (n=${report.baseline[`${kind}Samples`] ?? '?'})`, value: base, low: base, high: base }];
  for (const s of report.scenarios) {
    const value = s.latency[`${kind}P50Us`];
    const low = s.latency[`${kind}P50DeltaLowUs`];
    const high = s.latency[`${kind}P50DeltaHighUs`];
    if (value === undefined || low === undefined || high === undefined) continue;
    const mark = s.latency[`${kind}P50DeltaSignificant`] === 1 ? ' *' : '';
    bars.push({ label: `${s.id}${mark}`, value, low: base + low, high: base + high });
  }
  if (bars.length < 2) return '';
  return `<figure class="chart">${barChart(title, 'µs', bars)}<figcaption>${h(title)}: bars are each scenario's median, whiskers the baseline median plus the 95 % bootstrap interval of the difference; * marks a difference whose interval excludes zero.</figcaption></figure>`;
}

function chartsSection(report: RunReport): string {
  const charts = [latencyChart(report, 'handshake', 'Full mTLS handshake p50 per scenario vs baseline'), latencyChart(report, 'request', 'Warm-connection request p50 per scenario vs baseline')].filter(Boolean);
  if (charts.length === 0) return '';
  const b = report.baseline;
  const drift = b.handshakeP50BeforeUs !== undefined && b.handshakeP50AfterUs !== undefined ? ` Baseline measured before (handshake p50 ${formatUs(b.handshakeP50BeforeUs)}) and after (${formatUs(b.handshakeP50AfterUs)}) the scenarios, pooled.` : '';
  return `<section><h2>Latency charts</h2><p class="muted">${h(drift)}</p>${charts.join('')}</section>`;
}

function mutationSection(report: RunReport): string {
  const m = report.mutation;
  if (!m || m.mutants.length === 0) return '';
  const rows = m.mutants
    .map((r) => {
      const cls = r.error !== undefined ? 'error' : r.survived ? 'survived' : 'killed';
      const by = r.error !== undefined ? h(r.error) : r.killedBy.length ? r.killedBy.map((id) => `<code>${h(id)}</code>`).join(' ') : '—';
      return `<tr id="mutant-${scenarioAnchor(r.mutant.id)}"><td class="outcome ${cls}">${cls}</td><td><strong>${h(r.mutant.id)}</strong><br>${h(r.mutant.title)}<br><span class="muted">${h(r.mutant.description)}</span></td><td>${h(r.mutant.fault)}</td><td><code>${h(r.mutant.location.uri)}</code>${r.mutant.location.setting ? `<br>${h(r.mutant.location.setting)}` : ''}</td><td>${by}</td></tr>`;
    })
    .join('');
  return `<section><h2>Mutation: kill rate ${h(formatPercent(m.killRate))}</h2><table><thead><tr><th>Result</th><th>Mutant</th><th>Fault</th><th>Location</th><th>Killed by</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

export function renderHtml(report: RunReport): string {
  const { summary } = report;
  const verdict = report.verdict === 'pass' ? 'PASS' : 'FAIL';
  const failedCount = report.scenarios.reduce((n, s) => n + failedChecks(s).length, 0);
  const counts = `${summary.total} scenarios · ${summary.passed} passed · ${summary.failed} failed · ${summary.error} errors · ${summary.skipped} skipped${failedCount ? ` · ${failedCount} failed checks` : ''}${report.mutation ? ` · kill rate ${formatPercent(report.mutation.killRate)}` : ''}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="referrer" content="no-referrer">
<title>meshgate ${h(verdict)} · ${h(report.runId)}</title>
<style>${CSS}</style>
</head>
<body>
<header class="verdict ${report.verdict}">
<h1>${verdict}</h1>
<p>${h(counts)}</p>
<p>run ${h(report.runId)} · ${h(report.startedAt)} · ${h(formatMs(report.durationMs))}${report.aborted ? ' · interrupted' : ''} · exit code ${report.exitCode}</p>
<p>${h(report.tool.name)} ${h(report.tool.version)} · ${h(report.environment.engine)} engine · Node ${h(report.environment.node)} · ${h(report.environment.platform)}</p>
</header>
${attentionBanner(report)}
<section><h2>Scenarios</h2>
<table><thead><tr><th>Outcome</th><th>Scenario</th><th>Plane</th><th>Severity</th><th>Control</th><th>Detection</th><th>Handshake p50</th><th>Time</th></tr></thead>
<tbody>${scenarioRows(report)}</tbody></table></section>
${latencySection(report)}
${chartsSection(report)}
${mutationSection(report)}
<footer class="muted"><p>report schema ${report.schemaVersion} · finished ${h(report.finishedAt)}</p></footer>
</body>
</html>
`;
}
