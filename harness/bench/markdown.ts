/** bench.md: the ladder table first, then every figure with its 95 % interval, the missing rungs and the environment. */
import type { BenchReport } from './bench-report.ts';
import { withCi } from './format.ts';
import { LADDER } from './ladder-rungs.ts';

export function renderBenchMarkdown(r: BenchReport): string {
  const fig = new Map(r.figures.map((f) => [f.id, f]));
  const cell = (id: string) => {
    const f = fig.get(id);
    return f ? withCi(f) : '–';
  };
  const e = r.environment;
  const lines = [
    '# meshgate bench',
    '',
    `${r.startedAt}, ${r.wallSeconds} s, ${r.config.profile} profile (${r.config.repetitions} repetitions), suites: ${r.suites.join(', ')}. Each figure is the mean over repetitions with its bootstrap 95 % interval [low, high] (repetitions resampled).`,
    '',
  ];
  if (LADDER.some((rung) => fig.has(`ladder.${rung.id}.p50`))) {
    lines.push('## Cost ladder (keep-alive, concurrency 1)', '', '| rung | p50 | p90 | p99 | p99.9 | marginal p50 | server CPU / request |', '|---|---|---|---|---|---|---|');
    for (const rung of LADDER) lines.push(`| ${rung.label} | ${cell(`ladder.${rung.id}.p50`)} | ${cell(`ladder.${rung.id}.p90`)} | ${cell(`ladder.${rung.id}.p99`)} | ${cell(`ladder.${rung.id}.p999`)} | ${cell(`ladder.${rung.id}.marginal.p50`)} | ${cell(`ladder.${rung.id}.cpu`)} |`);
    lines.push('');
  }
  lines.push('## Every figure', '', '| figure | id | value [95 % CI] | better |', '|---|---|---|---|');
  for (const f of r.figures) lines.push(`| ${f.label} | \`${f.id}\` | ${withCi(f)} | ${f.better} |`);
  lines.push('');
  if (r.missing.length) {
    lines.push('## Missing rungs', '');
    for (const m of r.missing) lines.push(`- **${m.rung}**: ${m.reason}`);
    lines.push('');
  }
  lines.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  lines.push(
    '## Environment',
    '',
    `- CPU: ${e.cpuModel}, ${e.cores} cores, flags: ${e.cpuFlags.join(' ') || 'none found'}`,
    `- memory ${e.memoryMB} MB, ${e.kernel}, ${e.platform}`,
    `- Node ${e.node} (OpenSSL ${e.nodeOpenssl}); ${e.opensslCli ?? 'openssl CLI missing'}; ${e.nginx ?? 'nginx missing'}`,
    `- load average before ${e.loadAverageBefore.join(' ')}, after ${e.loadAverageAfter?.join(' ') ?? '?'}`,
    '',
  );
  return lines.join('\n');
}
