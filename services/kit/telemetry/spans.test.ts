import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCanaries } from '../../../harness/collectors/canaries.ts';
import { LeakScanner } from '../../../harness/collectors/leak-scanner.ts';
import { OtlpReceiver } from '../../../harness/collectors/otlp-receiver.ts';
import type { SpanRecord } from '../../../harness/collectors/span-record.ts';
import { correlationAttributes, correlationFromHeaders, formatCorrelationHeader, parseCorrelationHeader } from './correlation.ts';
import { flushTelemetry, resolveTracesUrl, shutdownTelemetry, startTelemetry, telemetryState } from './sdk.ts';
import { normalizeSha256, recordHandshakeSpan, splitProtocol, withAuthzSpan, withTokenVerifySpan } from './spans.ts';

const receiver = new OtlpReceiver();
const canaries = createCanaries('spans');

beforeAll(async () => {
  await receiver.start();
  startTelemetry({ serviceName: 'spans-test', endpoint: receiver.url, scheduledDelayMillis: 50 });
});
afterAll(async () => {
  await shutdownTelemetry();
  await receiver.stop();
});

async function collect(name: string, count: number): Promise<SpanRecord[]> {
  await flushTelemetry();
  return receiver.waitFor((s) => s.name === name, 5000, { count });
}

class Rejection extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

describe('recordHandshakeSpan', () => {
  it('records a server-side success with semconv tls.* attributes (peer = client certificate)', async () => {
    const start = Date.now();
    recordHandshakeSpan({
      role: 'server',
      protocol: 'TLSv1.3',
      cipher: 'TLS_AES_128_GCM_SHA256',
      resumed: false,
      established: true,
      peer: { subject: 'O=meshgate', sha256: 'ab:cd:ef:01', notAfter: new Date('2030-01-01T00:00:00Z'), spiffeId: 'spiffe://meshgate.test/gateway' },
      local: { subject: 'O=meshgate', sha256: '0102', notAfter: Date.parse('2030-06-01T00:00:00Z'), spiffeId: 'spiffe://meshgate.test/payments' },
      peerAddress: '127.0.0.1',
      peerPort: 40000,
      startTime: start,
      endTime: start + 2,
    });
    const [span] = await collect('tls.handshake', 1);
    expect(span!.status.code).toBe('UNSET');
    expect(span!.attributes).toEqual({
      'tls.protocol.name': 'tls',
      'tls.protocol.version': '1.3',
      'tls.cipher': 'TLS_AES_128_GCM_SHA256',
      'tls.resumed': false,
      'tls.established': true,
      'meshgate.tls.role': 'server',
      'tls.client.subject': 'O=meshgate',
      'tls.client.hash.sha256': 'ABCDEF01',
      'tls.client.not_after': '2030-01-01T00:00:00.000Z',
      'tls.server.subject': 'O=meshgate',
      'tls.server.hash.sha256': '0102',
      'tls.server.not_after': '2030-06-01T00:00:00.000Z',
      'meshgate.peer.spiffe_id': 'spiffe://meshgate.test/gateway',
      'meshgate.local.spiffe_id': 'spiffe://meshgate.test/payments',
      'network.peer.address': '127.0.0.1',
      'network.peer.port': 40000,
    });
    expect(span!.durationMs).toBeCloseTo(2, 0);
  });

  it('records a client-side failure with error.type = reason and status ERROR (peer = server certificate)', async () => {
    const start = Date.now();
    recordHandshakeSpan({ role: 'client', protocol: 'TLSv1.3', resumed: true, established: false, errorType: 'cert_expired', peer: { sha256: 'FF', notAfter: '2020-01-01T00:00:00Z' }, startTime: start, endTime: start + 1 });
    const spans = await collect('tls.handshake', 2);
    const span = spans.find((s) => s.attributes['error.type'] === 'cert_expired')!;
    expect(span.status).toEqual({ code: 'ERROR', message: 'cert_expired' });
    expect(span.attributes).toMatchObject({ 'tls.established': false, 'tls.resumed': true, 'tls.server.hash.sha256': 'FF', 'tls.server.not_after': '2020-01-01T00:00:00.000Z' });
    expect(span.attributes['tls.client.hash.sha256']).toBeUndefined();
  });

  it('rejects bad input precisely', () => {
    const t = Date.now();
    expect(() => recordHandshakeSpan({ role: 'peer' as never, established: true, startTime: t, endTime: t })).toThrow(/role must be/);
    expect(() => recordHandshakeSpan({ role: 'server', established: false, errorType: 'nope' as never, startTime: t, endTime: t })).toThrow(/not a reason code/);
    expect(() => recordHandshakeSpan({ role: 'server', established: true, peer: { notAfter: 'garbage' }, startTime: t, endTime: t })).toThrow(/not a date/);
    expect(splitProtocol('TLSv1.2')).toEqual({ name: 'tls', version: '1.2' });
    expect(splitProtocol('QUIC')).toBeUndefined();
    expect(normalizeSha256('a1:b2')).toBe('A1B2');
  });
});

describe('withTokenVerifySpan', () => {
  it('records valid, rejected and thrown outcomes with result, reason, kid and kind — never the token', async () => {
    const token = canaries.jwt.value;
    expect(await withTokenVerifySpan('access', (rec) => {
      rec.setKid('k1');
      return token.length > 0 ? 'claims' : 'none';
    })).toBe('claims');
    await withTokenVerifySpan('txn', (rec) => rec.reject('token_replayed'));
    await expect(withTokenVerifySpan('access', () => {
      throw new Rejection('token_expired', `token ${token} expired`);
    })).rejects.toThrow(/expired/);
    await expect(withTokenVerifySpan('access', () => {
      throw new Error(`parser choked on ${token}`);
    })).rejects.toThrow(/choked/);
    const spans = await collect('meshgate.token.verify', 4);
    const pick = (result: string, reason?: string) => spans.filter((s) => s.attributes['meshgate.token.result'] === result && s.attributes['meshgate.token.reason'] === reason);
    expect(pick('valid')[0]!.attributes).toEqual({ 'meshgate.token.kind': 'access', 'meshgate.token.kid': 'k1', 'meshgate.token.result': 'valid' });
    expect(pick('valid')[0]!.status.code).toBe('UNSET');
    expect(pick('rejected', 'token_replayed')[0]!).toMatchObject({ status: { code: 'ERROR', message: 'token_replayed' }, attributes: { 'meshgate.token.kind': 'txn', 'error.type': 'token_replayed' } });
    expect(pick('rejected', 'token_expired')).toHaveLength(1);
    expect(pick('rejected', 'internal_error')).toHaveLength(1);
    expect(new LeakScanner({ canaries: canaries.all }).scanSpans(spans)).toEqual([]);
    await expect(withTokenVerifySpan('', () => 1)).rejects.toThrow(TypeError);
  });
});

describe('withAuthzSpan', () => {
  it('a deny is not an error; a failure to decide is', async () => {
    const decide = (decision: 'allow' | 'deny', reason?: 'pdp_denied' | 'pdp_unavailable', id = `d-${decision}-${reason}`) =>
      withAuthzSpan({ action: 'POST /payments', principal: 'spiffe://meshgate.test/ledger' }, (rec) => rec.decide({ decision, policyIds: ['p-1'], policyVersion: 'v7', decisionId: id, ...(reason ? { reason } : {}) }));
    await decide('allow');
    await decide('deny', 'pdp_denied');
    await decide('deny', 'pdp_unavailable');
    await expect(withAuthzSpan({}, () => {
      throw new Rejection('pdp_error', 'boom');
    })).rejects.toThrow('boom');
    const spans = await collect('meshgate.authz', 4);
    const byId = (id: string) => spans.find((s) => s.attributes['meshgate.authz.decision_id'] === id)!;
    expect(byId('d-allow-undefined')).toMatchObject({ status: { code: 'UNSET' }, attributes: { 'meshgate.authz.decision': 'allow', 'meshgate.authz.policy_ids': ['p-1'], 'meshgate.authz.policy_version': 'v7', 'meshgate.authz.action': 'POST /payments', 'meshgate.peer.spiffe_id': 'spiffe://meshgate.test/ledger' } });
    expect(byId('d-deny-pdp_denied')).toMatchObject({ status: { code: 'UNSET' }, attributes: { 'meshgate.authz.decision': 'deny', 'meshgate.authz.reason': 'pdp_denied' } });
    expect(byId('d-deny-pdp_denied').attributes['error.type']).toBeUndefined();
    expect(byId('d-deny-pdp_unavailable')).toMatchObject({ status: { code: 'ERROR' }, attributes: { 'error.type': 'pdp_unavailable' } });
    expect(spans.find((s) => s.attributes['error.type'] === 'pdp_error')?.status.code).toBe('ERROR');
  });
});

describe('telemetry sdk', () => {
  it('exports to <endpoint>/v1/traces under the configured service name, once', () => {
    expect(telemetryState()).toEqual({ serviceName: 'spans-test', tracesUrl: `${receiver.url}/v1/traces` });
    expect(receiver.spans().every((s) => s.service === 'spans-test')).toBe(true);
    expect(() => startTelemetry({ serviceName: 'again' })).toThrow(/already started/);
    expect(resolveTracesUrl('http://127.0.0.1:4318/', undefined)).toBe('http://127.0.0.1:4318/v1/traces');
    expect(resolveTracesUrl('http://c:4318/otlp', 'http://x:1/custom')).toBe('http://x:1/custom');
    expect(resolveTracesUrl(undefined, undefined)).toBeUndefined();
  });
});

describe('correlation header', () => {
  it('round-trips and refuses anything malformed or oversized', () => {
    const value = formatCorrelationHeader({ correlationId: 'c-1', scenarioId: 'mtls.expired-client-cert' });
    expect(value).toBe('id=c-1;scenario=mtls.expired-client-cert');
    expect(parseCorrelationHeader(value)).toEqual({ correlationId: 'c-1', scenarioId: 'mtls.expired-client-cert' });
    expect(parseCorrelationHeader('id=only')).toEqual({ correlationId: 'only' });
    expect(correlationFromHeaders({ 'x-meshgate-correlation': value })).toEqual({ correlationId: 'c-1', scenarioId: 'mtls.expired-client-cert' });
    expect(correlationFromHeaders(new Headers({ 'X-Meshgate-Correlation': 'id=h' }))).toEqual({ correlationId: 'h' });
    for (const bad of ['', 'scenario=x', 'id=a b', 'id=<script>', 'id=x;id=y', 'id=x;other=y', `id=${'a'.repeat(129)}`, 'id=x;scenario=', 'nokey']) expect(parseCorrelationHeader(bad), bad).toBeUndefined();
    expect(correlationAttributes(parseCorrelationHeader(value))).toEqual({ 'meshgate.correlation_id': 'c-1', 'meshgate.scenario_id': 'mtls.expired-client-cert' });
    expect(correlationAttributes(undefined)).toEqual({});
    expect(() => formatCorrelationHeader({ correlationId: 'bad id' })).toThrow(TypeError);
  });
});
