import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { ManualClock } from '../clock.ts';
import { parseExposition, sampleValue, hasSample } from '../../../harness/collectors/metrics-scraper.ts';
import { createMeshMetrics, UNMATCHED_ROUTE } from './mesh-metrics.ts';
import type { MeshMetrics } from './mesh-metrics.ts';
import { requireTool } from '../../../harness/test-support/require-tool.ts';


/** Records at least one sample on every mesh metric. */
function recordEverything(m: MeshMetrics, clock: ManualClock): void {
  m.tlsHandshakeDuration.observe({ role: 'server', result: 'ok', resumed: 'false' }, 0.0019);
  m.tlsHandshakeDuration.observe({ role: 'client', result: 'fail', resumed: 'true' }, 0.0011);
  m.tlsHandshakeFailures.inc({ reason: 'cert_expired' });
  m.tokenVerifications.inc({ result: 'valid', reason: 'none' });
  m.tokenVerifications.inc({ result: 'rejected', reason: 'token_replayed' });
  m.authzDecisions.inc({ decision: 'allow', reason: 'none' });
  m.authzDecisions.inc({ decision: 'deny', reason: 'pdp_denied' });
  m.pdpRequestDuration.observe({ result: 'ok' }, 0.000076);
  m.setSvidExpirySource(() => clock.now() + 1_800_000, clock);
  m.svidRotations.inc();
  m.jwksEvents.inc({ event: 'rotated' });
  m.jwksEvents.inc({ event: 'revoked' });
  m.setReplayCacheSource(() => 17);
  m.observeHttpRequest({ route: '/entries/:id', method: 'GET', status: 200, durationSeconds: 0.0031 });
}

const METRIC_NAMES = [
  'meshgate_tls_handshake_duration_seconds',
  'meshgate_tls_handshake_failures_total',
  'meshgate_token_verifications_total',
  'meshgate_authz_decisions_total',
  'meshgate_pdp_request_duration_seconds',
  'meshgate_svid_expiry_seconds',
  'meshgate_svid_rotations_total',
  'meshgate_jwks_events_total',
  'meshgate_replay_cache_entries',
  'meshgate_http_requests_total',
  'meshgate_http_request_duration_seconds',
];

describe('createMeshMetrics', () => {
  it('passes promtool check metrics with samples on every metric', async () => {
    const promtool = requireTool('promtool', 'prometheus');
    const m = createMeshMetrics('ledger');
    recordEverything(m, new ManualClock(1_700_000_000_000));
    const text = await m.metrics();
    const snap = parseExposition(text);
    for (const name of METRIC_NAMES) expect([...snap.types.keys()]).toContain(name);
    for (const name of METRIC_NAMES) expect(snap.samples.some((s) => s.name === name || s.name.startsWith(`${name}_`)), name).toBe(true);
    expect(snap.samples.some((s) => s.name.startsWith('process_'))).toBe(true);
    const result = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
    const findings = `${result.stdout}${result.stderr}`.trim();
    expect(findings, `promtool findings:\n${findings}`).toBe('');
    expect(result.status).toBe(0);
  });

  it('promtool does flag a badly named metric (the check above can fail)', () => {
    const promtool = requireTool('promtool', 'prometheus');
    const bad = '# HELP meshgate_latency_ms latency\n# TYPE meshgate_latency_ms counter\nmeshgate_latency_ms 1\n';
    const result = spawnSync(promtool, ['check', 'metrics'], { input: bad, encoding: 'utf8', timeout: 20_000 });
    expect(`${result.stdout}${result.stderr}`).toMatch(/_total|unit/);
    expect(result.status).not.toBe(0);
  });

  it('keeps labels bounded: raw paths and odd methods never become label values', async () => {
    const m = createMeshMetrics('ledger', { defaultMetrics: false });
    m.observeHttpRequest({ route: '/entries/:id', method: 'GET', status: 200, durationSeconds: 0.001 });
    m.observeHttpRequest({ route: '/entries/8f14e45f-ceea-467f', method: 'GET', status: 404, durationSeconds: 0.001 });
    m.observeHttpRequest({ route: undefined, method: 'BREW', status: 405, durationSeconds: 0.001 });
    const snap = parseExposition(await m.metrics());
    const routes = new Set(snap.samples.filter((s) => s.name === 'meshgate_http_requests_total').map((s) => s.labels.route));
    expect(routes).toEqual(new Set(['/entries/:id', UNMATCHED_ROUTE]));
    expect(sampleValue(snap, 'meshgate_http_requests_total', { route: UNMATCHED_ROUTE, method: 'OTHER', status: '405' })).toBe(1);
    expect(sampleValue(snap, 'meshgate_http_requests_total', { service: 'ledger' })).toBe(3);
    // Services outside the topology take explicit routes.
    const custom = createMeshMetrics('probe', { routes: ['/a'], defaultMetrics: false });
    expect([custom.routeLabel('/a'), custom.routeLabel('/b')]).toEqual(['/a', UNMATCHED_ROUTE]);
    expect(createMeshMetrics('gateway', { defaultMetrics: false }).routeLabel('/login')).toBe('/login');
  });

  it('reads the SVID expiry and replay cache size at scrape time, with no misleading 0 before a source exists', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const m = createMeshMetrics('payments', { defaultMetrics: false });
    expect(hasSample(parseExposition(await m.metrics()), 'meshgate_svid_expiry_seconds')).toBe(false);
    let notAfter: Date | undefined = new Date(clock.now() + 600_000);
    m.setSvidExpirySource(() => notAfter, clock);
    m.setReplayCacheSource(() => 3);
    expect(sampleValue(parseExposition(await m.metrics()), 'meshgate_svid_expiry_seconds')).toBe(600);
    clock.advance(660_000);
    let snap = parseExposition(await m.metrics());
    expect(sampleValue(snap, 'meshgate_svid_expiry_seconds')).toBe(-60);
    expect(sampleValue(snap, 'meshgate_replay_cache_entries')).toBe(3);
    notAfter = undefined;
    snap = parseExposition(await m.metrics());
    expect(hasSample(snap, 'meshgate_svid_expiry_seconds')).toBe(false);
  });

  it('gives each service its own registry and rejects bad arguments', async () => {
    const a = createMeshMetrics('sts', { defaultMetrics: false });
    const b = createMeshMetrics('sts', { defaultMetrics: false });
    a.svidRotations.inc();
    expect(sampleValue(parseExposition(await b.metrics()), 'meshgate_svid_rotations_total')).toBe(0);
    expect(() => createMeshMetrics('Bad Name')).toThrow(/workload name/);
    expect(() => createMeshMetrics('x', { routes: ['nope'] })).toThrow(/path patterns/);
    expect(() => a.observeHttpRequest({ route: '/', method: 'GET', status: 42, durationSeconds: 0 })).toThrow(/status/);
    expect(() => a.observeHttpRequest({ route: '/', method: 'GET', status: 200, durationSeconds: -1 })).toThrow(/durationSeconds/);
    expect(() => a.setSvidExpirySource(5 as never)).toThrow(TypeError);
  });
});
