/**
 * The detection half of an expectation: operators could see it. Each helper
 * returns a check whose evidence points at the exact log line, metric sample
 * or span.
 */
import type { LogCursor } from '../evidence/log-cursor.ts';
import { pollUntil } from '../evidence/poll.ts';
import type { SpanRecord } from '../collectors/span-record.ts';
import { checkThat, type Check } from '../scenario/check.ts';
import type { MeshContext } from './mesh-context.ts';
import { sampleValue, type MetricsSnapshot } from '../collectors/metrics-scraper.ts';

function matches(entry: Record<string, unknown>, want: Record<string, unknown>): boolean {
  return Object.entries(want).every(([k, v]) => (v instanceof RegExp ? typeof entry[k] === 'string' && v.test(entry[k] as string) : entry[k] === v));
}

/** An audit line with these fields was written after the cursor's mark. */
export function auditLogged(cursor: LogCursor, want: Record<string, unknown>, timeoutMs = 3000): Promise<Check> {
  return lineLogged(cursor, want, true, timeoutMs);
}

/** A PDP decision log record with these fields was written after the cursor's mark. */
export function decisionLogged(cursor: LogCursor, want: Record<string, unknown>, timeoutMs = 3000): Promise<Check> {
  return lineLogged(cursor, want, false, timeoutMs);
}

async function lineLogged(cursor: LogCursor, want: Record<string, unknown>, auditOnly: boolean, timeoutMs: number): Promise<Check> {
  const hit = await cursor.waitFor((e) => (!auditOnly || e.audit === true) && matches(e, want), timeoutMs);
  const expected = Object.fromEntries(Object.entries(want).map(([k, v]) => [k, v instanceof RegExp ? String(v) : v]));
  return checkThat(`${auditOnly ? 'audit' : 'decision'} log ${cursor.file.split('/').at(-1)} has ${JSON.stringify(expected)}`, {
    ok: hit !== undefined,
    expected,
    observed: hit ? Object.fromEntries(Object.keys(want).map((k) => [k, hit.entry[k]])) : { lines_since_mark: cursor.lines().length },
    evidence: hit ? { file: hit.file, line: hit.line, event: hit.entry.event, reason: hit.entry.reason, request_id: hit.entry.request_id, time: hit.entry.time } : undefined,
  });
}

/** A counter grew by at least `by` between two scrapes. */
export function metricIncreased(before: MetricsSnapshot, after: MetricsSnapshot, name: string, labels: Record<string, string>, by = 1): Check {
  const a = sampleValue(before, name, labels);
  const b = sampleValue(after, name, labels);
  return checkThat(`metric ${name}${JSON.stringify(labels)} increased`, { ok: b - a >= by, expected: `+${by}`, observed: `+${b - a}`, evidence: { metric: name, labels, before: a, after: b } });
}

/** Polls scrapes until the counter grew (metrics are updated right after the response is sent). */
export async function metricEventually(ctx: MeshContext, service: Parameters<MeshContext['scrape']>[0], before: MetricsSnapshot, name: string, labels: Record<string, string>, by = 1, timeoutMs = 2000): Promise<Check> {
  return pollUntil(async () => metricIncreased(before, await ctx.scrape(service), name, labels, by), (result) => result.ok, timeoutMs, 50);
}

function spanSummary(span: SpanRecord): Record<string, unknown> {
  return { service: span.service, name: span.name, traceId: span.traceId, spanId: span.spanId, status: span.status, attributes: span.attributes };
}

/** A span with these attributes was exported by the service. */
export async function spanRecorded(ctx: MeshContext, service: string, name: string, attributes: Record<string, unknown>, timeoutMs = 3000): Promise<Check> {
  const hit = await ctx.waitForSpan((s) => s.service === service && s.name === name && Object.entries(attributes).every(([k, v]) => s.attributes[k] === v), timeoutMs);
  return checkThat(`span ${service}/${name} with ${JSON.stringify(attributes)}`, {
    ok: hit !== undefined,
    expected: { service, name, attributes },
    observed: hit ? { spanId: hit.spanId, attributes: Object.fromEntries(Object.keys(attributes).map((k) => [k, hit.attributes[k]])) } : { spans_seen: ctx.spans().length },
    evidence: hit ? spanSummary(hit) : undefined,
  });
}
