import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
// Used only to prove the protobuf path.
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OtlpReceiver } from './otlp-receiver.ts';
import type { SpanRecord } from './span-record.ts';

const dirs: string[] = [];
const receivers: OtlpReceiver[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function startReceiver(options: ConstructorParameters<typeof OtlpReceiver>[0] = {}): Promise<OtlpReceiver> {
  const receiver = new OtlpReceiver(options);
  receivers.push(receiver);
  await receiver.start();
  return receiver;
}

/** Emits a parent SERVER span with a CLIENT child through a real SDK pipeline and exporter. */
async function emit(exporter: SpanExporter): Promise<{ traceId: string; parentId: string; childId: string }> {
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'payments' }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('receiver-test');
  const parent = tracer.startSpan('POST /payments', { kind: SpanKind.SERVER, attributes: { 'http.route': '/payments', 'meshgate.peer.spiffe_id': 'spiffe://meshgate.test/gateway' } });
  const child = tracer.startSpan(
    'meshgate.authz',
    { kind: SpanKind.CLIENT, attributes: { 'meshgate.authz.policy_ids': ['p1', 'p2'], 'meshgate.authz.cached': false, count: 42, ratio: 0.5 } },
    trace.setSpan(context.active(), parent),
  );
  child.addEvent('decided', { 'meshgate.authz.decision': 'deny' });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'pdp_unavailable' });
  child.end();
  parent.end();
  await provider.forceFlush();
  await provider.shutdown();
  return { traceId: parent.spanContext().traceId, parentId: parent.spanContext().spanId, childId: child.spanContext().spanId };
}

function checkRecords(spans: SpanRecord[], ids: { traceId: string; parentId: string; childId: string }): void {
  const parent = spans.find((s) => s.spanId === ids.parentId)!;
  const child = spans.find((s) => s.spanId === ids.childId)!;
  expect(parent).toBeDefined();
  expect(child).toBeDefined();
  expect(parent).toMatchObject({ traceId: ids.traceId, parentSpanId: '', name: 'POST /payments', kind: 'SERVER', service: 'payments', scope: 'receiver-test', status: { code: 'UNSET' } });
  expect(parent.attributes).toEqual({ 'http.route': '/payments', 'meshgate.peer.spiffe_id': 'spiffe://meshgate.test/gateway' });
  expect(child).toMatchObject({ traceId: ids.traceId, parentSpanId: ids.parentId, kind: 'CLIENT', status: { code: 'ERROR', message: 'pdp_unavailable' } });
  expect(child.attributes).toEqual({ 'meshgate.authz.policy_ids': ['p1', 'p2'], 'meshgate.authz.cached': false, count: 42, ratio: 0.5 });
  expect(child.events).toHaveLength(1);
  expect(child.events[0]).toMatchObject({ name: 'decided', attributes: { 'meshgate.authz.decision': 'deny' } });
  expect(/^\d{19}$/.test(child.startNs)).toBe(true);
  expect(BigInt(child.endNs) >= BigInt(child.startNs)).toBe(true);
  expect(child.durationMs).toBeGreaterThanOrEqual(0);
}

describe('OtlpReceiver', () => {
  it('receives real SDK spans over OTLP/HTTP JSON and appends them to the JSONL file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-otlp-'));
    dirs.push(dir);
    const jsonl = join(dir, 'run', 'spans.jsonl');
    const receiver = await startReceiver({ jsonlPath: jsonl });
    expect(receiver.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ids = await emit(new OTLPTraceExporter({ url: receiver.tracesUrl }));
    const spans = await receiver.waitFor((s) => s.traceId === ids.traceId, 5000, { count: 2 });
    expect(spans).toHaveLength(2);
    checkRecords(receiver.spans(), ids);
    const lines = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SpanRecord);
    expect(lines.map((l) => l.spanId).sort()).toEqual([ids.parentId, ids.childId].sort());
  });

  it('receives the same spans over OTLP/HTTP protobuf', async () => {
    const receiver = await startReceiver();
    const ids = await emit(new OTLPProtoTraceExporter({ url: receiver.tracesUrl }));
    await receiver.waitFor((s) => s.traceId === ids.traceId, 5000, { count: 2 });
    checkRecords(receiver.spans(), ids);
  });

  it('accepts gzip bodies and answers OTLP errors for bad requests', async () => {
    const receiver = await startReceiver({ maxBodyBytes: 4096 });
    const span = { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), name: 'gz', kind: 2, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000001000000' };
    const body = JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'ledger' } }] }, scopeSpans: [{ scope: { name: 's' }, spans: [span] }] }] });
    const ok = await fetch(receiver.tracesUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(body) });
    expect(ok.status).toBe(200);
    expect(receiver.spans()).toMatchObject([{ name: 'gz', service: 'ledger', kind: 'SERVER', durationMs: 1 }]);

    const post = (init: RequestInit, path = '/v1/traces') => fetch(`${receiver.url}${path}`, { method: 'POST', ...init }).then((r) => r.status);
    expect(await post({ headers: { 'content-type': 'application/json' }, body: '{not json' })).toBe(400);
    expect(await post({ headers: { 'content-type': 'text/plain' }, body: '{}' })).toBe(415);
    expect(await post({ headers: { 'content-type': 'application/json' }, body: 'x'.repeat(5000) })).toBe(413);
    // A small gzip bomb: tiny on the wire, over the limit once inflated.
    expect(await post({ headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(' '.repeat(100_000)) })).toBe(413);
    expect(await post({ headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array([0x0a, 0xff, 0xff, 0x7f]) })).toBe(400);
    expect(await post({ headers: { 'content-type': 'application/json' }, body: '{}' }, '/v1/metrics')).toBe(404);
    expect(receiver.rejectedRequests).toBe(6);
    expect(receiver.spans()).toHaveLength(1);
  });

  it('waitFor resolves with what matched when the timeout passes, and maxSpans bounds memory', async () => {
    const receiver = await startReceiver({ maxSpans: 2 });
    const started = Date.now();
    expect(await receiver.waitFor((s) => s.name === 'never', 150)).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    const mk = (i: number) => ({ traceId: 'ab'.repeat(16), spanId: i.toString(16).padStart(16, '0'), name: `s${i}`, startTimeUnixNano: '1', endTimeUnixNano: '2' });
    const body = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [mk(1), mk(2), mk(3)] }] }] });
    await fetch(receiver.tracesUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(receiver.spans().map((s) => s.name)).toEqual(['s2', 's3']);
    expect(receiver.dropped).toBe(1);
    expect(() => receiver.waitFor((() => true) as never, -1)).toThrow(TypeError);
  });

  it('rejects bad options precisely', () => {
    expect(() => new OtlpReceiver({ maxBodyBytes: 0 })).toThrow(/maxBodyBytes must be a positive integer/);
    expect(() => new OtlpReceiver({ port: 70000 })).toThrow(/port/);
    expect(() => new OtlpReceiver().url).toThrow(/not started/);
  });
});
