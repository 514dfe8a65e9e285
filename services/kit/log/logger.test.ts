import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TraceFlags, context, trace } from '@opentelemetry/api';
import { pino } from 'pino';
import { createCanaries } from '../../../harness/collectors/canaries.ts';
import { LeakScanner } from '../../../harness/collectors/leak-scanner.ts';
import { startTelemetry, shutdownTelemetry } from '../telemetry/sdk.ts';
import { audit } from './audit.ts';
import { buildPinoOptions, createLogger, logRequestBody, logsBodies } from './logger.ts';
import { REDACTED } from './redact-paths.ts';

let dir: string;
let n = 0;
const file = () => join(dir, `svc-${++n}.log`);
const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const canaries = createCanaries('log');
const scanner = new LeakScanner({ canaries: canaries.all });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mg-log-'));
  // Installs the context manager only: no endpoint, so no exporter runs.
  startTelemetry({ serviceName: 'log-test' });
});
afterAll(async () => {
  await shutdownTelemetry();
  rmSync(dir, { recursive: true, force: true });
});

/** A payment body as the gateway forwards it, carrying every canary in a known secret field. */
function paymentBody() {
  return {
    amount: 1250,
    card: { number: canaries.card.value, holder: 'A. Tester' },
    password: canaries.password.value,
    access_token: canaries.jwt.value,
    keys: { private_key: canaries.privateKey.value },
  };
}

describe('createLogger', () => {
  it('writes one JSON line per call, synchronously, with service, level and ISO time', () => {
    const path = join(dir, 'nested', 'a.log');
    const logger = createLogger({ service: 'payments', destination: path, level: 'info' });
    logger.info({ route: '/payments' }, 'hello');
    logger.debug('not written at info');
    const [line, ...rest] = lines(path);
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ service: 'payments', level: 'info', msg: 'hello', route: '/payments' });
    expect(String(line!.time)).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('redacts credential headers, tokens, passwords, keys and card numbers at any known depth', () => {
    const path = file();
    const logger = createLogger({ service: 'gateway', destination: path });
    const jwt = canaries.jwt.value;
    logger.info({
      req: { headers: { authorization: `Bearer ${jwt}`, cookie: 'sid=abc123def456', 'x-txn-token': jwt, 'user-agent': 'curl' } },
      res: { headers: { 'set-cookie': ['sid=abc123def456; HttpOnly'] } },
      access_token: jwt,
      form: { subject_token: jwt, client_secret: 'cs-0123456789abcdef', password: canaries.password.value },
      key: { private_key: canaries.privateKey.value },
      outer: { body: { card: { number: canaries.card.value } } },
      token: jwt,
    }, 'request');
    const [line] = lines(path);
    const l = line as Record<string, any>;
    expect(l.req.headers).toEqual({ authorization: REDACTED, cookie: REDACTED, 'x-txn-token': REDACTED, 'user-agent': 'curl' });
    expect(l.res.headers['set-cookie']).toBe(REDACTED);
    expect([l.access_token, l.form.subject_token, l.form.client_secret, l.form.password, l.key.private_key, l.outer.body.card.number, l.token]).toEqual(Array(7).fill(REDACTED));
    expect(readFileSync(path, 'utf8')).not.toContain('abc123def456');
    expect(scanner.scanText(readFileSync(path, 'utf8'), { sink: 'log' })).toEqual([]);
  });

  it('logBodies: true writes the body verbatim and the scanner finds every canary in it', async () => {
    const path = file();
    const logger = createLogger({ service: 'payments', destination: path, logBodies: true });
    expect(logsBodies(logger)).toBe(true);
    expect(logsBodies(logger.child({ request_id: 'r1' }))).toBe(true);
    const body = paymentBody();
    logRequestBody(logger.child({ request_id: 'r1' }), { route: 'POST /payments', body, raw: JSON.stringify(body) });
    const hits = await scanner.scanFile(path, 'log');
    expect(hits.map((h) => h.secretKind).sort()).toEqual(['card_number', 'jwt', 'password', 'private_key']);
    expect(hits.every((h) => h.file === path && h.line === 1 && h.sink === 'log')).toBe(true);
    expect(JSON.stringify(hits)).not.toContain(canaries.card.value);
  });

  it('logBodies: false logs the body through redaction: the scanner finds nothing', async () => {
    const path = file();
    const logger = createLogger({ service: 'payments', destination: path, level: 'debug' });
    expect(logsBodies(logger)).toBe(false);
    const body = paymentBody();
    logRequestBody(logger, { route: 'POST /payments', body, raw: JSON.stringify(body) });
    const [line] = lines(path) as Array<Record<string, any>>;
    // The body is logged (so the redaction is what keeps the secrets out, not silence).
    expect(line).toMatchObject({ level: 'debug', route: 'POST /payments', body: { amount: 1250, card: { number: REDACTED, holder: 'A. Tester' }, password: REDACTED, access_token: REDACTED } });
    expect(line!.body_raw).toBeUndefined();
    expect(await scanner.scanFile(path, 'log')).toEqual([]);
  });

  it('the same check fails when the redaction paths are removed', async () => {
    const path = file();
    const options = { ...buildPinoOptions('payments', 'debug'), redact: undefined };
    const unredacted = pino(options, pino.destination({ dest: path, sync: true }));
    logRequestBody(unredacted, { route: 'POST /payments', body: paymentBody() });
    const hits = await scanner.scanFile(path, 'log');
    expect(hits.map((h) => h.secretKind).sort()).toEqual(['card_number', 'jwt', 'password', 'private_key']);
  });

  it('rejects bad options precisely', () => {
    expect(() => createLogger({ service: '', destination: file() })).toThrow(/service must be a non-empty string/);
    expect(() => createLogger({ service: 's', destination: -1 })).toThrow(/destination must be/);
    expect(() => createLogger({ service: 's', destination: file(), level: 'loud' as never })).toThrow(/level must be one of/);
    expect(() => createLogger({ service: 's', destination: file(), logBodies: 'yes' as never })).toThrow(/logBodies must be a boolean/);
    expect(() => logRequestBody(createLogger({ service: 's', destination: file() }), { route: '', body: {} })).toThrow(/route/);
  });
});

describe('audit', () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const spanId = '00f067aa0ba902b7';
  const active = trace.wrapSpanContext({ traceId, spanId, traceFlags: TraceFlags.SAMPLED });

  it('writes audit events joined to the active span, refusals at warn', () => {
    const path = file();
    const logger = createLogger({ service: 'ledger', destination: path });
    context.with(trace.setSpan(context.active(), active), () => {
      audit(logger, { event: 'tls_rejected', reason: 'cert_expired', peer_addr: '127.0.0.1', peer_spiffe_id: 'spiffe://meshgate.test/payments' });
      audit(logger, { event: 'authz_decision', decision: 'deny', reason: 'pdp_denied', decision_id: 'd-9', correlation_id: 'c-1' });
      logger.info('plain line in a span');
    });
    audit(logger, { event: 'svid_rotated' });
    audit(logger, { event: 'admin_action', action: 'revoke', trace_id: 'explicit', span_id: 'explicit' });
    const [a, b, c, d, e] = lines(path);
    expect(a).toMatchObject({ audit: true, event: 'tls_rejected', reason: 'cert_expired', level: 'warn', trace_id: traceId, span_id: spanId, peer_spiffe_id: 'spiffe://meshgate.test/payments' });
    expect(b).toMatchObject({ audit: true, event: 'authz_decision', decision: 'deny', level: 'warn', trace_id: traceId, decision_id: 'd-9', correlation_id: 'c-1' });
    expect(c).toMatchObject({ msg: 'plain line in a span', trace_id: traceId, span_id: spanId });
    expect(d).toMatchObject({ audit: true, event: 'svid_rotated', level: 'info' });
    expect(d!.trace_id).toBeUndefined();
    expect(e).toMatchObject({ trace_id: 'explicit', span_id: 'explicit' });
    // The mixin must not add a second trace_id key to a line that already has one.
    const raw = readFileSync(path, 'utf8').split('\n')[0]!;
    expect(raw.split('"trace_id"').length - 1).toBe(1);
  });

  it('refuses unknown reasons and malformed event names', () => {
    const logger = createLogger({ service: 'ledger', destination: file() });
    expect(() => audit(logger, { event: 'tls_rejected', reason: 'nope' as never })).toThrow(/not a known reason code/);
    expect(() => audit(logger, { event: 'Bad Event' })).toThrow(/snake_case/);
    expect(() => audit({} as never, { event: 'x' })).toThrow(/pino logger/);
  });
});
