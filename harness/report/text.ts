/** Escaping and formatting shared by the renderers. */

// Characters XML 1.0 forbids (C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/FFFF).
const INVALID_XML = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escapes text for XML or HTML content and attribute values; drops characters XML cannot carry. */
export function escapeXml(value: unknown): string {
  return String(value ?? '')
    .replace(INVALID_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function escapeHtml(value: unknown): string {
  return escapeXml(value).replace(/&apos;/g, '&#39;');
}

/** Escapes text for one line of Markdown (table cells included): no markup, no raw HTML. */
export function escapeMarkdown(value: unknown): string {
  return String(value ?? '')
    .replace(INVALID_XML, '')
    .replace(/\r?\n|\r/g, ' ')
    .replace(/\\/g, '\\\\')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[`*_[\]|~#!()]/g, '\\$&');
}

/** Compact JSON for humans, cut at max characters. */
export function formatValue(value: unknown, max = 300): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined');
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function formatPretty(value: unknown, max = 4000): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? 'undefined');
  return text.length > max ? `${text.slice(0, max)}\n…[+${text.length - max} chars]` : text;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatUs(us: number | undefined): string {
  if (us === undefined || !Number.isFinite(us)) return '—';
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${Math.round(us)} µs`;
}

/** "+12 %" against the baseline, or "" when either side is missing. */
export function formatDelta(value: number | undefined, baseline: number | undefined): string {
  if (value === undefined || baseline === undefined || !(baseline > 0)) return '';
  const pct = ((value - baseline) / baseline) * 100;
  return `${pct >= 0 ? '+' : '−'}${Math.abs(pct).toFixed(0)} %`;
}

export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(0)} %`;
}

/** passed/total of a check list, e.g. "2/2". */
export function ratio(checks: readonly { ok: boolean }[]): string {
  return checks.length === 0 ? '—' : `${checks.filter((c) => c.ok).length}/${checks.length}`;
}

/** The figure to compare against: explicit baseline* key on the scenario, else the run's baseline. */
export function baselineFor(key: string, latency: Record<string, number>, baseline: Record<string, number>): number | undefined {
  const own = latency[`baseline${key[0]!.toUpperCase()}${key.slice(1)}`];
  return own ?? baseline[key] ?? baseline[`baseline${key[0]!.toUpperCase()}${key.slice(1)}`];
}

const OUTCOME_RANK: Record<string, number> = { failed: 0, error: 1 };

/** Failed, then errored scenarios (each in run order), then everything else in run order: what needs a reader comes first. */
export function problemsFirst<T extends { outcome: string }>(scenarios: readonly T[]): T[] {
  return scenarios
    .map((s, i) => ({ s, i, rank: OUTCOME_RANK[s.outcome] ?? 2 }))
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .map((x) => x.s);
}

/** An anchor id for a scenario: letters, digits and dashes only, so every renderer links to it alike. */
export function scenarioAnchor(id: string): string {
  return `scenario-${id.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
}

/**
 * The delta against the baseline with its verdict when the gate measured one: "+11 % *" when the
 * bootstrap 95 % interval of the difference excludes zero, "+3 % n.s." when it does not.
 */
export function formatLatencyDelta(key: string, latency: Record<string, number>, baseline: Record<string, number>): string {
  const delta = formatDelta(latency[key], baselineFor(key, latency, baseline));
  if (!delta) return '';
  const significant = latency[`${key.replace(/Us$/, '')}DeltaSignificant`];
  return significant === undefined ? delta : significant === 1 ? `${delta} *` : `${delta} n.s.`;
}
