import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { x509 } from '../x509.ts';
import { OtlpReceiver } from '../../../harness/collectors/otlp-receiver.ts';
import { selectSpans } from '../../../harness/collectors/trace-query.ts';
import type { SpanRecord } from '../../../harness/collectors/span-record.ts';

const REGISTER = fileURLToPath(new URL('./register.ts', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/traced-service.ts', import.meta.url));
let dir: string;
let certPath: string;
let keyPath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mg-otel-'));
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=localhost',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }])],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  certPath = join(dir, 'cert.pem');
  keyPath = join(dir, 'key.pem');
  writeFileSync(certPath, cert.toString('pem'));
  writeFileSync(keyPath, `-----BEGIN ${'PRIVATE'} KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`, { mode: 0o600 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  stdout: string;
  code: number | null;
}

/** Runs the fixture under the preload until it reports ready, then SIGTERMs it; `beforeTerm` sees the state in between. */
async function runFixture(env: Record<string, string>, beforeTerm: () => void | Promise<void> = () => undefined): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, FIXTURE_CERT: certPath, FIXTURE_KEY: keyPath, ...env };
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT) delete childEnv.OTEL_EXPORTER_OTLP_ENDPOINT;
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--import', REGISTER, FIXTURE], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 15_000;
  while (!stdout.includes('ready\n') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 25));
  if (!stdout.includes('ready\n')) {
    child.kill('SIGKILL');
    throw new Error(`fixture did not become ready: ${stderr}`);
  }
  await beforeTerm();
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const code = await exited;
  clearTimeout(killer);
  return { stdout, code };
}

function one(spans: SpanRecord[], what: string, predicate: (s: SpanRecord) => boolean): SpanRecord {
  const found = spans.filter(predicate);
  expect(found, what).toHaveLength(1);
  return found[0]!;
}

describe('telemetry preload (node --import register.ts)', () => {
  it('traces http, https and fetch across hops with W3C context, security spans and correlation, flushed on SIGTERM', async () => {
    const receiver = new OtlpReceiver();
    await receiver.start();
    try {
      // A one-minute batch delay: spans can only reach the receiver through the SIGTERM flush.
      const run = await runFixture({ MESHGATE_SERVICE: 'traced', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '60000' }, async () => {
        await new Promise((r) => setTimeout(r, 300));
        expect(receiver.spans()).toEqual([]);
      });
      expect(run.code).toBe(143);
      const spans = await receiver.waitFor(() => true, 5000, { count: 6 });
      expect(spans.every((s) => s.service === 'traced')).toBe(true);
      const result = JSON.parse(run.stdout.split('\n').find((l) => l.startsWith('result '))!.slice(7)) as { frontTraceparent: string; downstream: { traceparent: string } };

      const fetchSpan = one(spans, 'fetch client span', (s) => s.kind === 'CLIENT' && s.scope.includes('undici'));
      const frontServer = one(spans, 'front server span', (s) => s.kind === 'SERVER' && s.attributes['http.route'] === '/payments');
      const httpsClient = one(spans, 'https client span', (s) => s.kind === 'CLIENT' && s.scope.includes('http') && !s.scope.includes('undici'));
      const backServer = one(spans, 'https server span', (s) => s.kind === 'SERVER' && s.attributes['http.route'] === '/entries');
      const verify = one(spans, 'token span', (s) => s.name === 'meshgate.token.verify');
      const authz = one(spans, 'authz span', (s) => s.name === 'meshgate.authz');

      // One trace, parent links hop by hop, and the traceparent headers the servers saw match.
      expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
      expect(frontServer.parentSpanId).toBe(fetchSpan.spanId);
      expect(httpsClient.parentSpanId).toBe(frontServer.spanId);
      expect(backServer.parentSpanId).toBe(httpsClient.spanId);
      expect(verify.parentSpanId).toBe(frontServer.spanId);
      expect(authz.parentSpanId).toBe(frontServer.spanId);
      expect(result.frontTraceparent).toBe(`00-${fetchSpan.traceId}-${fetchSpan.spanId}-01`);
      expect(result.downstream.traceparent).toBe(`00-${httpsClient.traceId}-${httpsClient.spanId}-01`);

      expect(frontServer.name).toBe('POST /payments');
      expect(frontServer.attributes).toMatchObject({ 'meshgate.peer.spiffe_id': 'spiffe://meshgate.test/gateway', 'meshgate.authz.decision_id': 'dec-1', 'meshgate.correlation_id': 'corr-1', 'meshgate.scenario_id': 'telemetry.preload' });
      expect(backServer.attributes).toMatchObject({ 'url.scheme': 'https', 'meshgate.correlation_id': 'corr-1' });
      expect(fetchSpan.attributes['meshgate.correlation_id']).toBe('corr-1');
      expect(verify.attributes).toMatchObject({ 'meshgate.token.kind': 'access', 'meshgate.token.kid': 'k-2026', 'meshgate.token.result': 'valid' });
      expect(authz.attributes).toMatchObject({ 'meshgate.authz.decision': 'allow', 'meshgate.authz.policy_ids': ['edge-gateway-payments'], 'meshgate.authz.policy_version': 'v1', 'meshgate.authz.decision_id': 'dec-1' });
      expect(selectSpans(spans, { status: 'ERROR' })).toEqual([]);
    } finally {
      await receiver.stop();
    }
  });

  it('without an endpoint nothing is exported, yet trace context still crosses hops and the workload exits on SIGTERM', async () => {
    const run = await runFixture({ MESHGATE_SERVICE: 'traced' });
    expect(run.code).toBe(143);
    const result = JSON.parse(run.stdout.split('\n').find((l) => l.startsWith('result '))!.slice(7)) as { frontTraceparent: string | null };
    // Context propagation does not depend on a collector: log lines still join their trace.
    expect(result.frontTraceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  });
});
