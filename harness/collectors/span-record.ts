/** The flat span shape every collector and query speaks, decoded from OTLP. */

export type SpanKindName = 'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
export type SpanStatusCode = 'UNSET' | 'OK' | 'ERROR';

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };
export type AttributeMap = Record<string, AttributeValue>;

export interface SpanEventRecord {
  name: string;
  timeNs: string;
  attributes: AttributeMap;
}

export interface SpanLinkRecord {
  traceId: string;
  spanId: string;
  attributes: AttributeMap;
}

export interface SpanRecord {
  traceId: string;
  spanId: string;
  /** Empty string for a root span. */
  parentSpanId: string;
  name: string;
  kind: SpanKindName;
  /** resource service.name ('' when absent). */
  service: string;
  /** Instrumentation scope name. */
  scope: string;
  /** Nanoseconds since the epoch, as decimal strings (exact). */
  startNs: string;
  endNs: string;
  durationMs: number;
  status: { code: SpanStatusCode; message?: string };
  attributes: AttributeMap;
  events: SpanEventRecord[];
  links: SpanLinkRecord[];
}

export const SPAN_KINDS: readonly SpanKindName[] = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
export const STATUS_CODES: readonly SpanStatusCode[] = ['UNSET', 'OK', 'ERROR'];

export function durationMsBetween(startNs: string, endNs: string): number {
  try {
    return Number(BigInt(endNs) - BigInt(startNs)) / 1e6;
  } catch {
    return 0;
  }
}
