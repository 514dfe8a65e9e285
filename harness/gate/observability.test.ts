import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectEvery, selectSpans } from '../collectors/trace-query.ts';
import { randomBytes } from 'node:crypto';
import { LeakScanner, scanSinks, describeHit } from '../collectors/leak-scanner.ts';
import { delta } from '../collectors/metrics-scraper.ts';
import { probeTls } from '../attacks/tls-probe.ts';
import { EndUser } from '../actors/end-user.ts';
import { samplePayment } from '../actors/payment.ts';
import { pollUntil } from '../evidence/poll.ts';
import { GateSession } from './gate-session.ts';
import { newReference } from './reference.ts';
import { requireTool } from '../test-support/require-tool.ts';

let session: GateSession;
let stateDir: string;
let user: EndUser;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'meshgate-obs-'));
  session = await GateSession.start({ stateDir });
  user = new EndUser(session.engine);
}, 60_000);

afterAll(async () => {
  user?.close();
  await session?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('one payment, one trace', () => {
  test('a span per hop with verified peers, token verifications and authorization decisions', async () => {
    const token = await user.login('alice');
    // The test starts the trace itself (W3C traceparent), so exactly this payment's spans are selected.
    const traceId = randomBytes(16).toString('hex');
    const paid = await user.pay(token, samplePayment(newReference('trace')), { headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } });
    expect(paid.status).toBe(201);
    // Spans arrive in batches from six processes; wait (bounded) until every hop's spans have come in.
    const traced = () => selectSpans(session.engine.spans(), { traceId });
    const complete = () => traced().some((s) => s.service === 'ledger' && s.name === 'meshgate.authz') && new Set(selectSpans(traced(), { kind: 'SERVER' }).map((s) => s.service)).size >= 6;
    for (let i = 0; i < 60 && !complete(); i++) await new Promise((r) => setTimeout(r, 100));
    const trace = traced();
    const servers = selectSpans(trace, { kind: 'SERVER' });
    expect(new Set(servers.map((s) => s.service))).toEqual(new Set(['gateway', 'sts', 'payments', 'kms', 'ledger', 'pdp']));
    // Every mesh hop behind the gateway shows the verified caller.
    const meshHops = selectSpans(servers, { service: ['payments', 'kms', 'ledger'] });
    expect(expectEvery(meshHops, (s) => typeof s.attributes['meshgate.peer.spiffe_id'] === 'string', 'mesh server spans carry the peer SPIFFE ID')).toMatchObject({ ok: true });
    const verifications = selectSpans(trace, { name: 'meshgate.token.verify' });
    expect(new Set(verifications.map((s) => `${s.service}:${s.attributes['meshgate.token.kind']}`))).toEqual(new Set(['gateway:user', 'payments:access', 'payments:txn', 'ledger:access', 'ledger:txn', 'kms:access']));
    expect(expectEvery(verifications, (s) => s.attributes['meshgate.token.result'] === 'valid' && !JSON.stringify(s).includes(token), 'verifications are valid and never hold the token')).toMatchObject({ ok: true });
    const decisions = selectSpans(trace, { name: 'meshgate.authz' });
    expect(decisions.map((s) => s.service).sort()).toEqual(['kms', 'ledger', 'payments']);
    expect(expectEvery(decisions, (s) => s.attributes['meshgate.authz.decision'] === 'allow' && typeof s.attributes['meshgate.authz.decision_id'] === 'string' && String(s.attributes['meshgate.authz.policy_version']).startsWith('sha256:'), 'decisions carry id and policy version')).toMatchObject({ ok: true });
  });

  test('handshakes are traced with the tls.* attributes', async () => {
    const handshakes = selectSpans(session.engine.spans(), { name: 'tls.handshake', attributes: { 'tls.established': true } });
    expect(handshakes.length).toBeGreaterThan(0);
    const h = handshakes.find((s) => s.attributes['meshgate.tls.role'] === 'server' || s.kind === 'SERVER') ?? handshakes[0]!;
    expect(h.attributes['tls.protocol.version']).toBe('1.3');
    expect(typeof h.attributes['tls.cipher']).toBe('string');
  });
});

describe('a refused handshake is seen three ways', () => {
  test('span with the reason, metric increment and one audit line', async () => {
    const engine = session.engine;
    const cursor = engine.logCursor('ledger');
    const before = await engine.scrape('ledger');
    const outcome = await probeTls({ url: `${engine.endpoint('ledger').url}/healthz` });
    expect(outcome.answered).toBe(false);
    const line = await cursor.waitFor((e) => e.event === 'tls_rejected');
    expect(line?.entry).toMatchObject({ audit: true, reason: 'cert_missing', service: 'ledger' });
    expect(cursor.lines().filter((l) => l.entry.event === 'tls_rejected')).toHaveLength(1);
    const after = await engine.scrape('ledger');
    expect(delta(before, after, 'meshgate_tls_handshake_failures_total', { reason: 'cert_missing' })).toBe(1);
    const matching = () => engine.spans().filter((s) => s.service === 'ledger' && s.name === 'tls.handshake' && s.attributes['error.type'] === 'cert_missing');
    const span = await pollUntil(matching, (found) => found.length > 0, 3000);
    expect(span).toHaveLength(1);
    expect(span[0]!.status.code).toBe('ERROR');
  });
});

describe('metrics and logs', () => {
  test('promtool check metrics finds nothing on any service', async () => {
    const promtool = requireTool('promtool', 'prometheus');
    const dir = mkdtempSync(join(tmpdir(), 'meshgate-promtool-'));
    try {
      for (const { name: service } of session.engine.services()) {
        const file = join(dir, `${service}.prom`);
        writeFileSync(file, await session.engine.operator.metricsText(service));
        const findings = execFileSync('sh', ['-c', `${promtool} check metrics < ${file} 2>&1; true`], { encoding: 'utf8' });
        expect(findings.trim(), service).toBe('');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('after real traffic no log, span, metric or decision log holds a secret', async () => {
    const logs = session.engine.logFiles();
    const metrics = await Promise.all(session.engine.services().map(async (s) => ({ source: s.name, text: await session.engine.operator.metricsText(s.name) })));
    const hits = await scanSinks(new LeakScanner({}), { logFiles: logs.filter((f) => !f.includes('decisions')), decisionLogs: logs.filter((f) => f.includes('decisions')), spans: session.engine.spans(), metrics });
    expect(hits.map(describeHit)).toEqual([]);
  });
});
