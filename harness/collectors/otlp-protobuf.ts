/**
 * Decodes an OTLP/HTTP protobuf ExportTraceServiceRequest (opentelemetry-proto
 * trace/v1) into flat span records with a small wire-format reader: only the
 * fields the records need are read, unknown fields are skipped.
 */
import { durationMsBetween, SPAN_KINDS, STATUS_CODES } from './span-record.ts';
import type { AttributeMap, AttributeValue, SpanEventRecord, SpanLinkRecord, SpanRecord } from './span-record.ts';

interface Field {
  no: number;
  wire: number;
  /** Varint and fixed values as bigint; length-delimited as bytes. */
  int: bigint;
  bytes: Uint8Array;
}

const EMPTY = new Uint8Array(0);

function* fields(buf: Uint8Array): Generator<Field> {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw new RangeError('protobuf: truncated varint');
      const b = buf[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
    throw new RangeError('protobuf: varint too long');
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { no, wire, int: varint(), bytes: EMPTY };
    else if (wire === 1) {
      if (pos + 8 > buf.length) throw new RangeError('protobuf: truncated fixed64');
      const int = view.getBigUint64(pos, true);
      pos += 8;
      yield { no, wire, int, bytes: buf.subarray(pos - 8, pos) };
    } else if (wire === 2) {
      const len = Number(varint());
      if (pos + len > buf.length) throw new RangeError('protobuf: truncated length-delimited field');
      yield { no, wire, int: 0n, bytes: buf.subarray(pos, pos + len) };
      pos += len;
    } else if (wire === 5) {
      if (pos + 4 > buf.length) throw new RangeError('protobuf: truncated fixed32');
      pos += 4;
      yield { no, wire, int: BigInt(view.getUint32(pos - 4, true)), bytes: EMPTY };
    } else throw new RangeError(`protobuf: unsupported wire type ${wire}`);
  }
}

const utf8 = new TextDecoder();
const str = (f: Field): string => utf8.decode(f.bytes);
const hex = (f: Field): string => Buffer.from(f.bytes).toString('hex');

function anyValue(buf: Uint8Array, depth: number): AttributeValue {
  if (depth > 16) return null;
  let value: AttributeValue = null;
  for (const f of fields(buf)) {
    if (f.no === 1 && f.wire === 2) value = str(f);
    else if (f.no === 2 && f.wire === 0) value = f.int !== 0n;
    else if (f.no === 3 && f.wire === 0) {
      const n = BigInt.asIntN(64, f.int);
      value = n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
    } else if (f.no === 4 && f.wire === 1) value = new DataView(f.bytes.buffer, f.bytes.byteOffset, 8).getFloat64(0, true);
    else if (f.no === 5 && f.wire === 2) value = [...fields(f.bytes)].filter((x) => x.no === 1 && x.wire === 2).map((x) => anyValue(x.bytes, depth + 1));
    else if (f.no === 6 && f.wire === 2) value = keyValueList(f.bytes, depth + 1);
    else if (f.no === 7 && f.wire === 2) value = Buffer.from(f.bytes).toString('base64');
  }
  return value;
}

function keyValue(buf: Uint8Array, depth: number, into: AttributeMap): void {
  let key: string | undefined;
  let value: AttributeValue = null;
  for (const f of fields(buf)) {
    if (f.no === 1 && f.wire === 2) key = str(f);
    else if (f.no === 2 && f.wire === 2) value = anyValue(f.bytes, depth);
  }
  if (key !== undefined) into[key] = value;
}

function keyValueList(buf: Uint8Array, depth: number): AttributeMap {
  const out: AttributeMap = {};
  for (const f of fields(buf)) if (f.no === 1 && f.wire === 2) keyValue(f.bytes, depth, out);
  return out;
}

function event(buf: Uint8Array): SpanEventRecord {
  const e: SpanEventRecord = { name: '', timeNs: '0', attributes: {} };
  for (const f of fields(buf)) {
    if (f.no === 1 && f.wire === 1) e.timeNs = f.int.toString();
    else if (f.no === 2 && f.wire === 2) e.name = str(f);
    else if (f.no === 3 && f.wire === 2) keyValue(f.bytes, 0, e.attributes);
  }
  return e;
}

function link(buf: Uint8Array): SpanLinkRecord {
  const l: SpanLinkRecord = { traceId: '', spanId: '', attributes: {} };
  for (const f of fields(buf)) {
    if (f.no === 1 && f.wire === 2) l.traceId = hex(f);
    else if (f.no === 2 && f.wire === 2) l.spanId = hex(f);
    else if (f.no === 4 && f.wire === 2) keyValue(f.bytes, 0, l.attributes);
  }
  return l;
}

function span(buf: Uint8Array, service: string, scope: string): SpanRecord {
  const s: SpanRecord = { traceId: '', spanId: '', parentSpanId: '', name: '', kind: 'UNSPECIFIED', service, scope, startNs: '0', endNs: '0', durationMs: 0, status: { code: 'UNSET' }, attributes: {}, events: [], links: [] };
  for (const f of fields(buf)) {
    if (f.wire === 2) {
      if (f.no === 1) s.traceId = hex(f);
      else if (f.no === 2) s.spanId = hex(f);
      else if (f.no === 4) s.parentSpanId = hex(f);
      else if (f.no === 5) s.name = str(f);
      else if (f.no === 9) keyValue(f.bytes, 0, s.attributes);
      else if (f.no === 11) s.events.push(event(f.bytes));
      else if (f.no === 13) s.links.push(link(f.bytes));
      else if (f.no === 15) {
        for (const g of fields(f.bytes)) {
          if (g.no === 2 && g.wire === 2 && g.bytes.length > 0) s.status.message = str(g);
          else if (g.no === 3 && g.wire === 0) s.status.code = STATUS_CODES[Number(g.int)] ?? 'UNSET';
        }
      }
    } else if (f.wire === 0 && f.no === 6) s.kind = SPAN_KINDS[Number(f.int)] ?? 'UNSPECIFIED';
    else if (f.wire === 1 && f.no === 7) s.startNs = f.int.toString();
    else if (f.wire === 1 && f.no === 8) s.endNs = f.int.toString();
  }
  s.durationMs = durationMsBetween(s.startNs, s.endNs);
  return s;
}

export function decodeOtlpProtobuf(body: Uint8Array): SpanRecord[] {
  const spans: SpanRecord[] = [];
  for (const rs of fields(body)) {
    if (rs.no !== 1 || rs.wire !== 2) continue;
    let service = '';
    const scopeSpans: Uint8Array[] = [];
    for (const f of fields(rs.bytes)) {
      if (f.no === 1 && f.wire === 2) {
        const resource: AttributeMap = {};
        for (const g of fields(f.bytes)) if (g.no === 1 && g.wire === 2) keyValue(g.bytes, 0, resource);
        if (typeof resource['service.name'] === 'string') service = resource['service.name'];
      } else if (f.no === 2 && f.wire === 2) scopeSpans.push(f.bytes);
    }
    for (const ss of scopeSpans) {
      let scope = '';
      const raw: Uint8Array[] = [];
      for (const f of fields(ss)) {
        if (f.no === 1 && f.wire === 2) for (const g of fields(f.bytes)) if (g.no === 1 && g.wire === 2) scope = str(g);
        if (f.no === 2 && f.wire === 2) raw.push(f.bytes);
      }
      for (const b of raw) spans.push(span(b, service, scope));
    }
  }
  return spans;
}
