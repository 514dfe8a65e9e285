import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../cli/main.ts';
import { startCollector, stopCollector } from '../mesh/collector.ts';
import { statePaths } from '../mesh/state-dir.ts';
import { otlpForwardingFrom } from './otlp-forwarding.ts';
import type { SpanRecord } from './span-record.ts';
import { useTempDirs } from '../test-support/temp-dirs.ts';

const tempDir = useTempDirs();

describe('the forwarding target', () => {
  test('comes from the flag first, then the traces endpoint, then the base endpoint', () => {
    expect(otlpForwardingFrom('http://127.0.0.1:4318', {})?.tracesUrl).toBe('http://127.0.0.1:4318/v1/traces');
    expect(otlpForwardingFrom(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:1/custom', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other:2' })?.tracesUrl).toBe('http://c:1/custom');
    expect(otlpForwardingFrom(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:1/base/' })?.tracesUrl).toBe('http://c:1/base/v1/traces');
    expect(otlpForwardingFrom(undefined, {})).toBeUndefined();
  });

  test('takes headers and protocol from the standard variables, and names what is wrong', () => {
    const f = otlpForwardingFrom(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:1', OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20abc,x-team=sec', OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-team=payments', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    expect(f).toEqual({ tracesUrl: 'http://c:1/v1/traces', headers: { authorization: 'Bearer abc', 'x-team': 'payments' }, protocol: 'http/json' });
    expect(otlpForwardingFrom(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:1' })?.protocol).toBe('http/protobuf');
    expect(() => otlpForwardingFrom(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:1', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" is not supported/);
    expect(() => otlpForwardingFrom('not a url', {})).toThrow(/--otlp-endpoint: "not a url" is not a URL/);
    expect(() => otlpForwardingFrom(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:1', OTEL_EXPORTER_OTLP_HEADERS: 'novalue' })).toThrow(/OTEL_EXPORTER_OTLP_HEADERS: "novalue" is not key=value/);
  });
});

describe('a CI runner that exports traces', () => {
  test.each(['http/protobuf', 'http/json'])('with OTEL_EXPORTER_OTLP_* set (%s) the gate still passes and the user’s collector receives every service’s spans and the gate’s', async (protocol) => {
    // The user's collector: a receiver process of its own.
    const theirs = statePaths(tempDir('meshgate-their-collector-'));
    const collector = await startCollector(theirs);
    const saved = { ...process.env };
    try {
      process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${collector.url}/v1/traces`;
      process.env.OTEL_EXPORTER_OTLP_PROTOCOL = protocol;
      process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-meshgate-test=forwarded';
      let out = '';
      const code = await main(['run', 'observability.payment-trace', 'mtls.revoked-client-cert', 'tokens.replayed', '--report-dir', tempDir('meshgate-fwd-report-')], { stdout: (t) => (out += t), stderr: (t) => (out += t) });
      expect(code, out).toBe(0);
    } finally {
      process.env = saved;
      await stopCollector(collector.pid);
    }
    const spans = readFileSync(theirs.spans, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SpanRecord);
    const services = new Set(spans.map((s) => s.service));
    for (const s of ['gateway', 'payments', 'ledger', 'sts', 'pdp', 'ca', 'meshgate']) expect(services, `spans from ${s}`).toContain(s);
    const scenarioSpans = spans.filter((s) => s.name === 'meshgate.scenario');
    expect(scenarioSpans.map((s) => s.attributes['meshgate.scenario_id']).sort()).toEqual(['mtls.revoked-client-cert', 'observability.payment-trace', 'tokens.replayed']);
    expect(scenarioSpans.every((s) => s.attributes['meshgate.scenario.outcome'] === 'passed')).toBe(true);
  }, 180_000);
});
