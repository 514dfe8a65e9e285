import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Counter, Registry } from 'prom-client';
import { createMeshMetrics } from '../../services/kit/metrics/mesh-metrics.ts';
import { createCanaries } from './canaries.ts';
import { luhnValid } from '../../services/kit/luhn.ts';
import type { Canary } from './canaries.ts';
import { LeakScanner, describeHit, scanSinks } from './leak-scanner.ts';
import type { LeakHit } from './leak-scanner.ts';
import { OtlpReceiver } from './otlp-receiver.ts';
import type { SpanRecord } from './span-record.ts';

const canaries = createCanaries('t1');
const scanner = new LeakScanner({ canaries: canaries.all });
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mg-leak-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** How a secret can be rendered into a sink; base64 variants embed it at each byte alignment of a larger blob. */
const ENCODINGS: Record<string, (v: string) => string> = {
  raw: (v) => v,
  'json-escaped': (v) => JSON.stringify(v).slice(1, -1),
  'json-escaped-twice': (v) => JSON.stringify(JSON.stringify(v)).slice(1, -1),
  'base64@0': (v) => Buffer.from(`${v}|tail`).toString('base64'),
  'base64@1': (v) => Buffer.from(`x${v}|tail`).toString('base64'),
  'base64@2': (v) => Buffer.from(`xy${v}|tail`).toString('base64'),
  'base64url@1': (v) => Buffer.from(`x${v}??>>`).toString('base64url'),
  'base64url@2': (v) => Buffer.from(`xy${v}??>>`).toString('base64url'),
  'url-encoded': (v) => `https://x.test/cb?q=${encodeURIComponent(v)}&z=1`,
  hex: (v) => Buffer.from(v).toString('hex'),
};

/** Every rendering of every canary, for a no-secret check over hit reports. */
function everyForm(c: Canary): string[] {
  return [...Object.values(ENCODINGS).map((f) => f(c.value)), c.value];
}

function expectNoSecret(hits: LeakHit[]): void {
  const report = JSON.stringify(hits) + '\n' + hits.map(describeHit).join('\n');
  for (const c of canaries.all) {
    expect(report.includes(c.value)).toBe(false);
    for (const form of [JSON.stringify(c.value).slice(1, -1), Buffer.from(c.value).toString('base64'), Buffer.from(c.value).toString('hex'), encodeURIComponent(c.value)]) expect(report.includes(form)).toBe(false);
  }
  // The strongest form of the check: the scanner itself finds nothing in the report.
  expect(new LeakScanner({ canaries: canaries.all }).scanText(report, { sink: 'report' })).toEqual([]);
}

describe('canaries', () => {
  it('are fresh per run, recognisable and well-formed', () => {
    const other = createCanaries('t2');
    expect(luhnValid(canaries.card.value)).toBe(true);
    expect(canaries.card.value).toMatch(/^49\d{14}$/);
    expect(other.card.value).not.toBe(canaries.card.value);
    expect(other.privateKey.value).not.toBe(canaries.privateKey.value);
    expect(createPrivateKey(canaries.privateKey.value).asymmetricKeyType).toBe('ec');
    const [h] = canaries.jwt.value.split('.');
    expect(JSON.parse(Buffer.from(h!, 'base64url').toString())).toMatchObject({ alg: 'ES256', kid: 'canary-t1' });
    expect(canaries.all.map((c) => c.kind)).toEqual(['card_number', 'jwt', 'private_key', 'password']);
    expect(() => createCanaries('bad id!')).toThrow(TypeError);
  });
});

describe('LeakScanner', () => {
  it('a span or trace id made only of decimal digits is not a card number; the same digits anywhere else are', () => {
    // 4811063113206816 passes Luhn and looks like a Visa number: as a span id it is an identifier.
    const generic = new LeakScanner({});
    const where = { sink: 'log' };
    expect(generic.scanText(JSON.stringify({ msg: 'ok', span_id: '4811063113206816', trace_id: '4811063113206816'.repeat(2) }), where)).toEqual([]);
    expect(generic.scanText(JSON.stringify({ spanId: '4811063113206816', parentSpanId: '4811063113206816' }), where)).toEqual([]);
    expect(generic.scanText(JSON.stringify({ msg: 'request', card: '4811063113206816' }), where)).toMatchObject([{ detector: 'luhn-card-number' }]);
  });

  it('a hit description naming an all-digit span id is not itself a finding', () => {
    const hit: LeakHit = { sink: 'span', detector: 'luhn-card-number', secretKind: 'card_number', field: 'attributes.card', span: { name: 'pay', spanId: '4811063113206816', traceId: '4811063113206816'.repeat(2), service: 'gateway' } };
    expect(describeHit(hit)).toContain('span_id=4811063113206816');
    expect(new LeakScanner({}).scanText(describeHit(hit), { sink: 'report' })).toEqual([]);
    expect(new LeakScanner({}).scanText('span "pay" 4811063113206816 (gateway)', { sink: 'report' })).toMatchObject([{ detector: 'luhn-card-number' }]);
  });

  it('finds each canary in each encoding in a log file, naming file, line and kind', async () => {
    const lines: string[] = [];
    const expected: Array<{ line: number; canary: Canary; encoding: string }> = [];
    lines.push(JSON.stringify({ level: 'info', msg: 'clean line', trace_id: 'ab'.repeat(16) }));
    for (const c of canaries.all) {
      for (const [name, enc] of Object.entries(ENCODINGS)) {
        // A JSONL writer escapes the value once more; 'raw' PEM thus lands as json-escaped, which is what a real log holds.
        lines.push(JSON.stringify({ level: 'info', msg: 'request', detail: enc(c.value) }));
        expected.push({ line: lines.length, canary: c, encoding: name });
      }
    }
    const file = join(dir, 'payments.log');
    writeFileSync(file, lines.join('\n') + '\n');
    const hits = await scanner.scanFile(file, 'log');
    for (const e of expected) {
      const hit = hits.find((h) => h.line === e.line && h.canaryId === e.canary.id);
      expect(hit, `${e.canary.kind} as ${e.encoding} on line ${e.line}`).toBeDefined();
      expect(hit).toMatchObject({ sink: 'log', file, secretKind: e.canary.kind, detector: 'canary' });
      expect(hit!.encoding).toBeTypeOf('string');
      if (e.encoding.startsWith('base64') || e.encoding === 'hex') expect(hit!.encoding).toMatch(/^(base64|base64url|hex)$/);
    }
    expect(hits.some((h) => h.line === 1)).toBe(false);
    expectNoSecret(hits);
  });

  it('finds a raw PEM in a report file by its key lines and the BEGIN block', async () => {
    const file = join(dir, 'summary.md');
    writeFileSync(file, `# Report\n\nkey:\n${canaries.privateKey.value}\nend\n`);
    const hits = await scanner.scanFile(file, 'report');
    expect(hits.some((h) => h.detector === 'pem-private-key' && h.line === 4)).toBe(true);
    expect(hits.some((h) => h.canaryId === 'canary:private_key' && h.encoding === 'pem-body-line')).toBe(true);
    expectNoSecret(hits);
  });

  it('finds each canary in each encoding in real spans collected over OTLP, naming span and field', async () => {
    const receiver = new OtlpReceiver();
    await receiver.start();
    try {
      const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'gateway' }), spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: receiver.tracesUrl }), { scheduledDelayMillis: 50 })] });
      const tracer = provider.getTracer('leak-test');
      const cases: Array<{ name: string; canary: Canary; field: string }> = [];
      let i = 0;
      for (const c of canaries.all) {
        for (const [enc, render] of Object.entries(ENCODINGS)) {
          const name = `leak-${c.kind}-${enc}`;
          const span = tracer.startSpan(name);
          // Rotate the field the secret lands in: an attribute, an event attribute, the status message.
          const where = i++ % 3;
          if (where === 0) {
            span.setAttribute('url.full', render(c.value));
            cases.push({ name, canary: c, field: 'attributes.url.full' });
          } else if (where === 1) {
            span.addEvent('exception', { 'exception.message': render(c.value) });
            cases.push({ name, canary: c, field: 'events[0].attributes.exception.message' });
          } else {
            span.setStatus({ code: SpanStatusCode.ERROR, message: render(c.value) });
            cases.push({ name, canary: c, field: 'status.message' });
          }
          span.end();
        }
      }
      tracer.startSpan('clean', { attributes: { 'http.route': '/payments', 'meshgate.authz.decision_id': 'd-1' } }).end();
      await provider.forceFlush();
      await provider.shutdown();
      const spans = await receiver.waitFor(() => true, 5000, { count: cases.length + 1 });
      expect(spans).toHaveLength(cases.length + 1);
      const hits = scanner.scanSpans(spans);
      for (const c of cases) {
        const span = spans.find((s) => s.name === c.name)!;
        const hit = hits.find((h) => h.span?.spanId === span.spanId && h.canaryId === c.canary.id);
        expect(hit, `${c.name} in ${c.field}`).toBeDefined();
        expect(hit).toMatchObject({ sink: 'span', field: c.field, secretKind: c.canary.kind, span: { name: c.name, service: 'gateway', traceId: span.traceId } });
      }
      expect(hits.some((h) => h.span?.name === 'clean')).toBe(false);
      expectNoSecret(hits);
    } finally {
      await receiver.stop();
    }
  });

  it('finds each canary in each encoding in a /metrics exposition (a raw value used as a label)', async () => {
    const registry = new Registry();
    const leaky = new Counter({ name: 'meshgate_leaky_total', help: 'a label fed with raw input', labelNames: ['route'], registers: [registry] });
    const expected: Array<{ canary: Canary; route: string }> = [];
    for (const c of canaries.all) for (const render of Object.values(ENCODINGS)) {
      const route = render(c.value);
      leaky.inc({ route });
      expected.push({ canary: c, route });
    }
    const text = await registry.metrics();
    const hits = scanner.scanMetrics(text, 'https://127.0.0.1:1/metrics');
    const lines = text.split('\n');
    for (const e of expected) {
      const escaped = e.route.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
      const line = lines.findIndex((l) => l.includes(`route="${escaped}"`)) + 1;
      expect(line).toBeGreaterThan(0);
      expect(hits.find((h) => h.line === line && h.canaryId === e.canary.id), `${e.canary.kind} on metrics line ${line}`).toMatchObject({ sink: 'metrics', source: 'https://127.0.0.1:1/metrics', secretKind: e.canary.kind });
    }
    expectNoSecret(hits);
  });

  it('finds nothing in clean, realistic samples', async () => {
    const clean = [
      '{"level":"info","time":"2026-11-23T10:00:00.000Z","service":"payments","pid":4242,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","msg":"payment accepted","card":"************1111","amount":1250}',
      '{"level":"warn","audit":true,"event":"token_rejected","reason":"token_replayed","headers":{"authorization":"[REDACTED]"},"msg":"Bearer [REDACTED]","startNs":"1795426848131000000","durationNs":4123456789}',
      '{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRjcAbCdEfGhIjKlMnOpQrStUvWxYz0123456789"}]}',
      'ratio 0.4111111111111111 and run 94111111111111111123 and id 550e8400-e29b-41d4-a716-446655440000',
      '-----BEGIN CERTIFICATE----- is public; missing Bearer token; policy edge-gateway-payments v7',
      'the token header is eyJhbGciOiJFUzI1NiJ9 alone, not a token',
    ].join('\n');
    expect(scanner.scanText(clean, { sink: 'log', file: 'clean.log' })).toEqual([]);
    const metrics = createMeshMetrics('payments');
    metrics.tokenVerifications.inc({ result: 'rejected', reason: 'token_expired' });
    metrics.observeHttpRequest({ route: '/payments', method: 'POST', status: 201, durationSeconds: 0.0042 });
    expect(scanner.scanMetrics(await metrics.metrics(), 'payments')).toEqual([]);
    const span: SpanRecord = { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), parentSpanId: '', name: 'POST /payments', kind: 'SERVER', service: 'payments', scope: 's', startNs: '1795426848131000000', endNs: '1795426848132000000', durationMs: 1, status: { code: 'UNSET' }, attributes: { 'tls.client.hash.sha256': '0687F666A054EF17A08E2F2162EAB4CBC0D265E1D7875BE74BF3C712CA92DAF0', 'meshgate.authz.policy_ids': ['edge'] }, events: [], links: [] };
    expect(scanner.scanSpans([span])).toEqual([]);
  });

  it('generic detectors catch secrets that are not canaries, and the allow-list silences known benign values', () => {
    const foreignJwt = `${Buffer.from('{"alg":"RS256","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.c2lnbmF0dXJlLWJ5dGVz`;
    const text = [
      `{"msg":"outgoing","jwt":"${foreignJwt}"}`,
      'authorization: Bearer 9f8e7d6c5b4a39281706abcdef',
      `"-----BEGIN RSA ${'PRIVATE'} KEY-----\\nMIIE..."`,
      '{"jwk":{"kty":"EC","crv":"P-256","d":"jpsQnnGQmL-YBIffH1136cLhcx8yM8YjqaLoDCdT6Xs","x":"a","y":"b"}}',
      '{"card":"378282246310005"}',
      'pan 4111 1111 1111 1111 end',
      'test card 4242424242424242',
    ].join('\n');
    const hits = new LeakScanner({ allow: ['4242424242424242'] }).scanText(text, { sink: 'log', file: 'g.log' });
    const by = (line: number) => hits.filter((h) => h.line === line).map((h) => `${h.detector}/${h.secretKind}`);
    expect(by(1)).toEqual(['jwt-shape/jwt']);
    expect(by(2)).toEqual(['bearer-token/bearer_token']);
    expect(by(3)).toEqual(['pem-private-key/private_key']);
    expect(by(4)).toEqual(['private-jwk/private_jwk']);
    expect(by(5)).toEqual(['luhn-card-number/card_number']);
    expect(by(6)).toEqual(['luhn-card-number/card_number']);
    expect(by(7)).toEqual([]);
    expect(new LeakScanner().scanText('test card 4242424242424242', { sink: 'log' })).toHaveLength(1);
    const report = JSON.stringify(hits) + hits.map(describeHit).join('\n');
    for (const secret of [foreignJwt, '9f8e7d6c5b4a39281706abcdef', 'jpsQnnGQmL-YBIffH1136cLhcx8yM8YjqaLoDCdT6Xs', '378282246310005', '4111 1111 1111 1111']) expect(report.includes(secret)).toBe(false);
  });

  it('a sealed card (a JWE: its header has enc) is ciphertext for payments, not a bearer token', () => {
    const header = Buffer.from('{"alg":"ECDH-ES+A256KW","enc":"A256GCM","kid":"k1"}').toString('base64url');
    const jwe = `${header}.d3JhcHBlZC1rZXktYnl0ZXM.aXYtYnl0ZXM.Y2lwaGVydGV4dC1ieXRlcw.dGFnLWJ5dGVz`;
    expect(new LeakScanner().scanText(`{"msg":"request body","body_raw":"{\\"card\\":\\"${jwe}\\"}"}`, { sink: 'log' })).toEqual([]);
  });

  it('scanSinks covers logs, decision logs, reports, spans and metrics in one pass', async () => {
    const log = join(dir, 'a.log');
    const decisions = join(dir, 'pdp-decisions.log');
    const report = join(dir, 'report.json');
    writeFileSync(log, '{"msg":"ok"}\n');
    writeFileSync(decisions, `{"decision":"deny","context":{"password":"${canaries.password.value}"}}\n`);
    writeFileSync(report, JSON.stringify({ evidence: Buffer.from(canaries.jwt.value).toString('base64') }));
    const hits = await scanSinks(scanner, { logFiles: [log], decisionLogs: [decisions], reportFiles: [report], spans: [], metrics: [{ source: 'ledger', text: `x{route="${canaries.card.value}"} 1` }] });
    expect(hits.map((h) => `${h.sink}:${h.canaryId}`)).toEqual(['decision_log:canary:password', 'report:canary:jwt', 'metrics:canary:card_number']);
    expect(describeHit(hits[0]!)).toBe(`decision_log ${decisions}:1:${hits[0]!.column}: password (canary canary:password as raw)`);
    expectNoSecret(hits);
  });

  it('rejects bad arguments precisely', async () => {
    expect(() => new LeakScanner({ canaries: [{ kind: 'password', id: 'x', value: 'short' }] })).toThrow(/at least 8 characters/);
    expect(() => new LeakScanner({ allow: [42 as never] })).toThrow(/allow must be/);
    expect(() => scanner.scanText('x', { sink: '' })).toThrow(/where.sink/);
    await expect(scanner.scanFile('', 'log')).rejects.toThrow(TypeError);
  });
});
