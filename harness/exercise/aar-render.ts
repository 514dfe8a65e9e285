/** aar.md and an offline aar.html (no external resources), both rendered from aar.json. */
import type { Aar, AarInject } from './aar.ts';

const secs = (ms: number | null): string => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);
const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderAarMarkdown(aar: Aar): string {
  const o = aar.overview;
  const lines = [
    `# After-Action Report / Improvement Plan: ${o.title}`,
    '',
    '## Exercise overview',
    '',
    `| | |`,
    `|---|---|`,
    `| Exercise | ${o.exercise} |`,
    `| Date | ${o.startedAt} to ${o.endedAt} |`,
    `| Participants | ${o.participants.join(', ') || 'none recorded'} |`,
    `| Mesh engine | ${o.meshEngine} |`,
    `| meshgate | ${o.meshgateVersion} |`,
    `| Speed | ${o.speed}× (every duration below is wall-clock time) |`,
    `| Paused | ${secs(o.pausedMs)} |`,
    '',
    '## Objectives and capability ratings',
    '',
    '| Objective | Capability | Rating | Suggested | Why |',
    '|---|---|---|---|---|',
    ...aar.objectives.map((x) => `| ${cell(x.text)} | ${cell(x.capability)} | ${x.rating}${x.overridden ? ' (facilitator)' : ''} | ${x.suggestedRating} | ${cell(x.why)} |`),
    '',
    '## Per-inject measurements',
    '',
    '| Inject | Detect | Alert | Acknowledge | Contain | Malicious requests (reached / succeeded) |',
    '|---|---|---|---|---|---|',
    ...aar.injects.filter((i) => i.firedAt).map((i) => `| ${i.id} | ${secs(i.timeToDetectMs)} | ${secs(i.timeToAlertMs)} | ${secs(i.timeToAcknowledgeMs)} | ${i.containment === null ? '—' : i.containedAt ? secs(i.timeToContainMs) : 'not contained'} | ${Object.values(i.blastRadius.reached).reduce((a, b) => a + b, 0)} / ${i.blastRadius.succeeded} |`),
    '',
    '## Timeline',
    '',
    ...aar.timeline.map((e) => `- ${e.at} (+${(e.exerciseMs / 1000).toFixed(0)} s exercise) **${e.type}**${e.inject ? ` ${e.inject}` : ''}${e.by ? ` by ${e.by}` : ''}${e.detail ? `: ${e.detail}` : ''}`),
    '',
    '## Strengths',
    '',
    ...(aar.strengths.length ? aar.strengths.map((s) => `- ${s}`) : ['- none drafted']),
    '',
    '## Areas for improvement',
    '',
    ...(aar.areasForImprovement.length ? aar.areasForImprovement.map((s) => `- ${s}`) : ['- none drafted']),
    '',
    '## Improvement plan',
    '',
    '| Issue | Recommended action | Capability | Owner | Due date |',
    '|---|---|---|---|---|',
    ...aar.improvementPlan.map((p) => `| ${cell(p.issue)} | ${cell(p.recommendedAction)} | ${cell(p.capability)} | ${p.owner ?? ''} | ${p.dueDate ?? ''} |`),
    '',
  ];
  return lines.join('\n');
}

/** One row per inject: fired → detected → alerted → acknowledged → contained, on the wall-clock axis. */
export function timelineSvg(aar: Aar): string {
  const fired = aar.injects.filter((i) => i.firedAt);
  const t0 = Date.parse(aar.overview.startedAt);
  const t1 = Math.max(Date.parse(aar.overview.endedAt), t0 + 1);
  const width = 760;
  const left = 170;
  const row = 34;
  const height = 40 + row * fired.length;
  const x = (iso: string) => left + ((Date.parse(iso) - t0) / (t1 - t0)) * (width - left - 20);
  const marks: Array<[keyof AarInject, string, string]> = [
    ['detectedAt', '#1f77b4', 'detected'],
    ['alertedAt', '#ff7f0e', 'alerted'],
    ['acknowledgedAt', '#9467bd', 'acknowledged'],
    ['containedAt', '#2ca02c', 'contained'],
  ];
  const rows = fired.map((i, n) => {
    const y = 30 + n * row;
    const end = i.containedAt ?? aar.overview.endedAt;
    const bar = `<rect x="${x(i.firedAt!).toFixed(1)}" y="${y - 6}" width="${Math.max(1, x(end) - x(i.firedAt!)).toFixed(1)}" height="12" fill="${i.containedAt ? '#d62728' : '#7f0000'}" opacity="0.35"><title>${esc(i.id)}: exposed ${secs(Date.parse(end) - Date.parse(i.firedAt!))}</title></rect>`;
    const dots = marks
      .filter(([k]) => i[k])
      .map(([k, colour, label]) => `<circle cx="${x(i[k] as string).toFixed(1)}" cy="${y}" r="5" fill="${colour}"><title>${esc(i.id)} ${label} ${esc(String(i[k]))}</title></circle>`)
      .join('');
    return `<text x="4" y="${y + 4}" font-size="12">${esc(i.id)}</text>${bar}${dots}`;
  });
  const legend = marks.map(([, c, l], n) => `<circle cx="${left + n * 110}" cy="12" r="5" fill="${c}"/><text x="${left + n * 110 + 9}" y="16" font-size="11">${l}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="inject timeline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">${legend}${rows.join('')}</svg>`;
}

export function renderAarHtml(aar: Aar): string {
  const md = renderAarMarkdown(aar);
  const body = md
    .split('\n\n')
    .map((block) => {
      if (block.startsWith('# ')) return `<h1>${esc(block.slice(2))}</h1>`;
      if (block.startsWith('## ')) return `<h2>${esc(block.slice(3))}</h2>${block.includes('Per-inject') ? timelineSvg(aar) : ''}`;
      if (block.startsWith('|')) {
        const [head, , ...rest] = block.split('\n');
        const cells = (l: string) => l.slice(1, -1).split(/(?<!\\)\|/).map((c) => esc(c.trim().replace(/\\\|/g, '|')));
        return `<table><thead><tr>${cells(head!).map((c) => `<th>${c}</th>`).join('')}</tr></thead><tbody>${rest.map((r) => `<tr>${cells(r).map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
      }
      if (block.startsWith('- ')) return `<ul>${block.split('\n').map((l) => `<li>${esc(l.slice(2)).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')}</li>`).join('')}</ul>`;
      return `<p>${esc(block)}</p>`;
    })
    .join('\n');
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(aar.overview.title)}: after-action report</title><style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}</style></head><body>\n${body}\n</body></html>\n`;
}
