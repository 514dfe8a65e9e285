/**
 * The harness tags the requests it sends with `x-meshgate-correlation` so a
 * scenario can find its own spans and log lines. The header is attacker-
 * reachable, so parsing is strict and bounded: a malformed value is ignored.
 *
 * Format: `id=<correlation id>` optionally followed by `;scenario=<scenario id>`,
 * each value 1–128 characters of [A-Za-z0-9._:-].
 */
import type { Attributes } from '@opentelemetry/api';
import { MESHGATE_ATTR } from './attributes.ts';

export const CORRELATION_HEADER = 'x-meshgate-correlation';

export interface Correlation {
  correlationId: string;
  scenarioId?: string;
}

const VALUE = /^[A-Za-z0-9._:-]{1,128}$/;
const MAX_HEADER = 300;

export function formatCorrelationHeader(correlation: Correlation): string {
  if (correlation === null || typeof correlation !== 'object') throw new TypeError('formatCorrelationHeader: correlation must be an object');
  if (typeof correlation.correlationId !== 'string' || !VALUE.test(correlation.correlationId)) {
    throw new TypeError(`formatCorrelationHeader: correlationId must be 1-128 characters of [A-Za-z0-9._:-], got ${JSON.stringify(correlation.correlationId)}`);
  }
  if (correlation.scenarioId !== undefined && (typeof correlation.scenarioId !== 'string' || !VALUE.test(correlation.scenarioId))) {
    throw new TypeError(`formatCorrelationHeader: scenarioId must be 1-128 characters of [A-Za-z0-9._:-], got ${JSON.stringify(correlation.scenarioId)}`);
  }
  return correlation.scenarioId === undefined ? `id=${correlation.correlationId}` : `id=${correlation.correlationId};scenario=${correlation.scenarioId}`;
}

/** Parses the header value; undefined when absent or malformed. */
export function parseCorrelationHeader(value: string | readonly string[] | undefined): Correlation | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_HEADER) return undefined;
  let correlationId: string | undefined;
  let scenarioId: string | undefined;
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    const key = part.slice(0, eq).trim();
    const val = part.slice(eq + 1).trim();
    if (!VALUE.test(val)) return undefined;
    if (key === 'id' && correlationId === undefined) correlationId = val;
    else if (key === 'scenario' && scenarioId === undefined) scenarioId = val;
    else return undefined;
  }
  if (correlationId === undefined) return undefined;
  return scenarioId === undefined ? { correlationId } : { correlationId, scenarioId };
}

type HeaderBag = Record<string, string | string[] | undefined> | { get(name: string): string | null };

/** Reads the correlation from Node's incoming headers or a fetch Headers object. */
export function correlationFromHeaders(headers: HeaderBag | undefined): Correlation | undefined {
  if (!headers) return undefined;
  const value = typeof (headers as { get?: unknown }).get === 'function' ? (headers as { get(name: string): string | null }).get(CORRELATION_HEADER) ?? undefined : (headers as Record<string, string | string[] | undefined>)[CORRELATION_HEADER];
  return parseCorrelationHeader(value);
}

/** Span attributes for a correlation (meshgate.correlation_id, meshgate.scenario_id). */
export function correlationAttributes(correlation: Correlation | undefined): Attributes {
  if (!correlation) return {};
  const attrs: Attributes = { [MESHGATE_ATTR.correlationId]: correlation.correlationId };
  if (correlation.scenarioId !== undefined) attrs[MESHGATE_ATTR.scenarioId] = correlation.scenarioId;
  return attrs;
}
