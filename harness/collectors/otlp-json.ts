/**
 * Decodes an OTLP/HTTP JSON ExportTraceServiceRequest into flat span records.
 * Per the OTLP JSON mapping, ids are hex strings, enums are integers, and
 * 64-bit integers may arrive as strings; base64 ids from older senders are
 * accepted too.
 */
import { durationMsBetween, SPAN_KINDS, STATUS_CODES } from './span-record.ts';
import type { AttributeMap, AttributeValue, SpanRecord } from './span-record.ts';

type Json = Record<string, unknown>;

function asArray(value: unknown): Json[] {
  return Array.isArray(value) ? (value.filter((v) => v !== null && typeof v === 'object') as Json[]) : [];
}

export function normalizeId(value: unknown, bytes: number): string {
  if (typeof value !== 'string' || value.length === 0) return '';
  if (value.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(value)) return value.toLowerCase();
  const decoded = Buffer.from(value, 'base64');
  return decoded.length === bytes ? decoded.toString('hex') : '';
}

function nanos(value: unknown): string {
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return BigInt(value).toString();
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return BigInt(Math.trunc(value)).toString();
  return '0';
}

export function anyValue(value: unknown, depth = 0): AttributeValue {
  if (value === null || typeof value !== 'object' || depth > 16) return null;
  const v = value as Json;
  if ('stringValue' in v) return String(v.stringValue);
  if ('boolValue' in v) return v.boolValue === true || v.boolValue === 'true';
  if ('intValue' in v) {
    const n = Number(v.intValue);
    return Number.isSafeInteger(n) ? n : String(v.intValue);
  }
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('bytesValue' in v) return String(v.bytesValue);
  if ('arrayValue' in v) return asArray((v.arrayValue as Json | undefined)?.values).map((x) => anyValue(x, depth + 1));
  if ('kvlistValue' in v) return keyValues((v.kvlistValue as Json | undefined)?.values, depth + 1);
  return null;
}

export function keyValues(list: unknown, depth = 0): AttributeMap {
  const out: AttributeMap = {};
  for (const kv of asArray(list)) if (typeof kv.key === 'string') out[kv.key] = anyValue(kv.value, depth);
  return out;
}

export function decodeOtlpJson(body: unknown): SpanRecord[] {
  if (body === null || typeof body !== 'object') throw new TypeError('OTLP JSON body must be an object');
  const spans: SpanRecord[] = [];
  for (const rs of asArray((body as Json).resourceSpans)) {
    const resource = keyValues((rs.resource as Json | undefined)?.attributes);
    const service = typeof resource['service.name'] === 'string' ? resource['service.name'] : '';
    for (const ss of asArray(rs.scopeSpans ?? rs.instrumentationLibrarySpans)) {
      const scopeName = ((ss.scope ?? ss.instrumentationLibrary) as Json | undefined)?.name;
      for (const s of asArray(ss.spans)) {
        const startNs = nanos(s.startTimeUnixNano);
        const endNs = nanos(s.endTimeUnixNano);
        const status = (s.status ?? {}) as Json;
        const code = STATUS_CODES[Number(status.code ?? 0)] ?? 'UNSET';
        spans.push({
          traceId: normalizeId(s.traceId, 16),
          spanId: normalizeId(s.spanId, 8),
          parentSpanId: normalizeId(s.parentSpanId, 8),
          name: typeof s.name === 'string' ? s.name : '',
          kind: SPAN_KINDS[Number(s.kind ?? 0)] ?? 'UNSPECIFIED',
          service,
          scope: typeof scopeName === 'string' ? scopeName : '',
          startNs,
          endNs,
          durationMs: durationMsBetween(startNs, endNs),
          status: typeof status.message === 'string' && status.message.length > 0 ? { code, message: status.message } : { code },
          attributes: keyValues(s.attributes),
          events: asArray(s.events).map((e) => ({ name: typeof e.name === 'string' ? e.name : '', timeNs: nanos(e.timeUnixNano), attributes: keyValues(e.attributes) })),
          links: asArray(s.links).map((l) => ({ traceId: normalizeId(l.traceId, 16), spanId: normalizeId(l.spanId, 8), attributes: keyValues(l.attributes) })),
        });
      }
    }
  }
  return spans;
}
