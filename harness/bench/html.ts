/** bench.html: one offline page, charts as inline SVG, no script, then the Markdown tables as plain HTML. */
import type { BenchReport } from './bench-report.ts';
import { CONCURRENCY } from './bench-config.ts';
import type { Figure } from './figure.ts';
import { withCi } from './format.ts';
import { LADDER } from './ladder-rungs.ts';
import { barChart, lineChart, type Bar, type Series } from '../charts/svg-chart.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const bar = (f: Figure, label = f.label): Bar => ({ label, value: f.estimate, low: f.low, high: f.high });

export function renderBenchHtml(r: BenchReport): string {
  const fig = new Map(r.figures.map((f) => [f.id, f]));
  const charts: string[] = [];
  const ladder = LADDER.flatMap((rung) => (fig.has(`ladder.${rung.id}.p50`) ? [bar(fig.get(`ladder.${rung.id}.p50`)!, rung.id)] : []));
  if (ladder.length) charts.push(barChart('Cost ladder, p50 per rung', 'µs', ladder));
  const ladderCpu = LADDER.flatMap((rung) => (fig.has(`ladder.${rung.id}.cpu`) ? [bar(fig.get(`ladder.${rung.id}.cpu`)!, rung.id)] : []));
  if (ladderCpu.length) charts.push(barChart('Server CPU per request per rung', 'µs', ladderCpu));
  const ladderCurves = r.curves.filter((c) => c.name.startsWith('ladder.')).map((c): Series => ({ name: c.name.slice('ladder.'.length), points: c.points.filter(([p]) => p > 0) }));
  if (ladderCurves.length) charts.push(lineChart('Latency by percentile, per rung (all repetitions merged)', ladderCurves, { xLabel: 'percentile', yLabel: 'µs', percentileX: true }));
  const otherCurves = r.curves.filter((c) => c.name.startsWith('connections.') || c.name.startsWith('load.open') || c.name.startsWith('baseline.')).map((c): Series => ({ name: c.name, points: c.points.filter(([p]) => p > 0) }));
  if (otherCurves.length) charts.push(lineChart('Latency by percentile: connection modes, open loop, sidecar', otherCurves, { xLabel: 'percentile', yLabel: 'µs', percentileX: true }));
  const conc = (suffix: string) => CONCURRENCY.flatMap((c) => (fig.has(`load.c${c}.${suffix}`) ? [[c, fig.get(`load.c${c}.${suffix}`)!.estimate] as [number, number]] : []));
  if (conc('p50').length) {
    charts.push(lineChart('Latency against concurrency (every control on)', [{ name: 'p50', points: conc('p50') }, { name: 'p99', points: conc('p99') }], { xLabel: 'concurrency', yLabel: 'µs', logX: true }));
    charts.push(lineChart('Server CPU per request against concurrency', [{ name: 'CPU µs / request', points: conc('cpu') }], { xLabel: 'concurrency', yLabel: 'µs', logX: true }));
  }
  const sTime = r.figures.filter((f) => /^baseline\.stime\.[a-z]+\.(new|reuse)$/.test(f.id));
  if (sTime.length) charts.push(barChart('mTLS connections per second, openssl s_time', 'connections/s', sTime.map((f) => bar(f, f.id.slice('baseline.stime.'.length)))));
  const sidecar = ['baseline.sidecar.p50', 'baseline.in-process.p50', 'baseline.sidecar.p99', 'baseline.in-process.p99'].flatMap((id) => (fig.has(id) ? [bar(fig.get(id)!, id.slice('baseline.'.length))] : []));
  if (sidecar.length) charts.push(barChart('nginx mTLS sidecar vs meshgate in-process mTLS', 'µs', sidecar));
  const e = r.environment;
  const rows = r.figures.map((f) => `<tr><td>${esc(f.label)}</td><td><code>${esc(f.id)}</code></td><td>${esc(withCi(f))}</td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>meshgate bench ${esc(r.startedAt)}</title>
<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#1a202c}table{border-collapse:collapse}td,th{border:1px solid #cbd5e0;padding:2px 6px;font-size:12px}svg{display:block;margin:1em 0}</style></head>
<body><h1>meshgate bench</h1>
<p>${esc(r.startedAt)}, ${r.wallSeconds} s, ${esc(r.config.profile)} profile, ${r.config.repetitions} repetitions; suites ${esc(r.suites.join(', '))}. Values are means over repetitions with bootstrap 95 % intervals (repetitions resampled).</p>
${r.missing.length ? `<h2>Missing rungs</h2><ul>${r.missing.map((m) => `<li><b>${esc(m.rung)}</b>: ${esc(m.reason)}</li>`).join('')}</ul>` : ''}
${charts.join('\n')}
<h2>Every figure</h2><table><tr><th>figure</th><th>id</th><th>value [95 % CI]</th></tr>
${rows}
</table>
<h2>Notes</h2><ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
<h2>Environment</h2><p>${esc(`${e.cpuModel}, ${e.cores} cores, flags ${e.cpuFlags.join(' ')}; ${e.memoryMB} MB; ${e.kernel}; Node ${e.node} (OpenSSL ${e.nodeOpenssl}); ${e.opensslCli ?? 'openssl CLI missing'}; ${e.nginx ?? 'nginx missing'}; load average before ${e.loadAverageBefore.join(' ')}, after ${e.loadAverageAfter?.join(' ') ?? '?'}`)}</p>
</body></html>
`;
}
