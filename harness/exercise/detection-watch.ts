/**
 * Watches for one expected detection of a fired inject, from the evidence an
 * operator has: a log or audit line, a metric that rose, a span the mesh
 * exported, or a Prometheus alert rule that started firing. Each watch is
 * opened when its inject fires (log cursors and metric baselines are taken
 * before the inject acts), so only what the inject caused counts.
 */
import { sampleValue } from '../collectors/metrics-scraper.ts';
import type { SpanRecord } from '../collectors/span-record.ts';
import type { MeshEngine } from '../engine/mesh-engine.ts';
import { MESHGATE_ATTR } from '../../services/kit/telemetry/attributes.ts';
import type { ServiceName } from '../../services/topology.ts';
import type { Detection } from './exercise.ts';

export interface DetectionWatch {
  readonly detection: Detection;
  /** Whether the detection pages the team (an alert always does). */
  readonly pages: boolean;
  /** Where the signal was found, or undefined while it has not appeared. */
  check(): Promise<string | undefined>;
  /** Why this watch can never see its signal here (e.g. no Prometheus given); undefined when it can. */
  readonly unobservable?: string;
}

export interface WatchContext {
  engine: MeshEngine;
  correlationId: string;
  /** Wall-clock ms of the inject's firing. */
  firedAtMs: number;
  /** The team's Prometheus (with meshgate's alert rules loaded), for alert detections. */
  prometheusUrl?: string | undefined;
}

/** `name` or `name{label="value",…}` as the exercise file writes a metric. */
export function parseMetricSelector(selector: string): { name: string; labels: Record<string, string> } {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?$/.exec(selector.trim());
  if (!m) throw new TypeError(`metric "${selector}" is not a selector like name or name{label="value"}`);
  const labels: Record<string, string> = {};
  const body = m[2]?.trim() ?? '';
  if (body !== '') {
    for (const part of body.split(',')) {
      const l = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"([^"]*)"\s*$/.exec(part);
      if (!l) throw new TypeError(`metric "${selector}": label matcher "${part.trim()}" is not label="value"`);
      labels[l[1]!] = l[2]!;
    }
  }
  return { name: m[1]!, labels };
}

export async function openDetectionWatch(d: Detection, ctx: WatchContext): Promise<DetectionWatch> {
  const source = (d.source ?? 'payments') as ServiceName;
  const pages = d.kind === 'alert' || d.pages === true;
  const matches = (text: string) => (!d.correlated || text.includes(ctx.correlationId)) && (d.match === undefined || text.toLowerCase().includes(d.match.toLowerCase()));

  if (d.kind === 'log' || d.kind === 'audit') {
    const cursor = ctx.engine.logCursor(source);
    return {
      detection: d,
      pages,
      check: async () => {
        const hit = cursor.lines().find((l) => (d.kind === 'log' || l.entry['audit'] === true) && matches(JSON.stringify(l.entry)));
        return hit ? `${hit.file}:${hit.line}` : undefined;
      },
    };
  }

  if (d.kind === 'metric') {
    const { name, labels } = parseMetricSelector(d.metric ?? '');
    const before = sampleValue(await ctx.engine.scrape(source), name, labels);
    return {
      detection: d,
      pages,
      check: async () => {
        const now = sampleValue(await ctx.engine.scrape(source), name, labels);
        return now > before ? `${source} ${d.metric} rose from ${before} to ${now}` : undefined;
      },
    };
  }

  if (d.kind === 'span') {
    const fromNs = BigInt(ctx.firedAtMs) * 1_000_000n;
    const found = (s: SpanRecord) => BigInt(s.startNs) >= fromNs && (d.source === undefined || s.service === d.source) && (!d.correlated || s.attributes[MESHGATE_ATTR.correlationId] === ctx.correlationId) && (d.match === undefined || JSON.stringify(s).toLowerCase().includes(d.match.toLowerCase()));
    return {
      detection: d,
      pages,
      check: async () => {
        const span = ctx.engine.spans().find(found);
        return span ? `span "${span.name}" of ${span.service} (trace ${span.traceId}, span ${span.spanId}${span.status.code === 'ERROR' ? `, error ${span.status.message ?? ''}` : ''})` : undefined;
      },
    };
  }

  // An alert: the rule must have become active after the inject fired, so an alert already firing does not count.
  const alert = d.alert ?? '';
  const url = ctx.prometheusUrl;
  if (!url) return { detection: d, pages, unobservable: `alert ${alert} cannot be observed: no Prometheus was given (--prometheus URL)`, check: async () => undefined };
  return {
    detection: d,
    pages,
    check: async () => {
      const res = await fetch(new URL('/api/v1/alerts', url), { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
      if (!res?.ok) return undefined;
      const body = (await res.json()) as { data?: { alerts?: Array<{ labels: Record<string, string>; state: string; activeAt?: string }> } };
      const firing = (body.data?.alerts ?? []).find((a) => a.labels['alertname'] === alert && a.state === 'firing' && (d.source === undefined || a.labels['service'] === d.source) && Date.parse(a.activeAt ?? '') >= ctx.firedAtMs - 1_000);
      return firing ? `Prometheus alert ${alert} firing since ${firing.activeAt} (${Object.entries(firing.labels).map(([k, v]) => `${k}=${v}`).join(', ')})` : undefined;
    },
  };
}
