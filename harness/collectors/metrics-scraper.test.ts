import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createMeshMetrics } from '../../services/kit/metrics/mesh-metrics.ts';
import { delta, hasSample, parseExposition, sampleValue, scrapeMetrics } from './metrics-scraper.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

describe('metrics scraper', () => {
  it('scrapes a real registry over loopback and measures counter and histogram increments', async () => {
    const m = createMeshMetrics('payments', { defaultMetrics: false });
    const server = createServer((req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end();
      void m.metrics().then((text) => res.writeHead(200, { 'content-type': m.registry.contentType }).end(text));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`;

    m.tokenVerifications.inc({ result: 'rejected', reason: 'token_expired' });
    const before = await scrapeMetrics(url);
    m.tokenVerifications.inc({ result: 'rejected', reason: 'token_replayed' });
    m.tokenVerifications.inc({ result: 'rejected', reason: 'token_replayed' });
    m.tokenVerifications.inc({ result: 'valid', reason: 'none' });
    m.observeHttpRequest({ route: '/payments', method: 'POST', status: 403, durationSeconds: 0.002 });
    const after = await scrapeMetrics(url);

    expect(delta(before, after, 'meshgate_token_verifications_total', { reason: 'token_replayed' })).toBe(2);
    expect(delta(before, after, 'meshgate_token_verifications_total', { reason: 'token_expired' })).toBe(0);
    expect(delta(before, after, 'meshgate_token_verifications_total', { result: 'rejected' })).toBe(2);
    expect(delta(before, after, 'meshgate_token_verifications_total')).toBe(3);
    expect(delta(before, after, 'meshgate_http_requests_total', { route: '/payments', method: 'POST', status: '403', service: 'payments' })).toBe(1);
    expect(delta(before, after, 'meshgate_http_request_duration_seconds_count', { route: '/payments' })).toBe(1);
    expect(sampleValue(after, 'meshgate_http_request_duration_seconds_bucket', { route: '/payments', le: '0.001' })).toBe(0);
    expect(sampleValue(after, 'meshgate_http_request_duration_seconds_bucket', { route: '/payments', le: '0.0025' })).toBe(1);
    expect(after.types.get('meshgate_token_verifications_total')).toBe('counter');
    expect(after.types.get('meshgate_http_request_duration_seconds')).toBe('histogram');
    expect(hasSample(after, 'meshgate_http_request_duration_seconds_bucket', { le: '+Inf' })).toBe(true);
    await expect(scrapeMetrics(url.replace('/metrics', '/nope'))).rejects.toThrow(/answered 404/);
  });

  it('parses label escapes, special values and timestamps', () => {
    const snap = parseExposition(
      [
        '# HELP x_total A help line with a \\\\ backslash and \\n newline',
        '# TYPE x_total counter',
        'x_total{a="q\\"uote",b="back\\\\slash",c="new\\nline"} 3 1700000000000',
        'y{} +Inf',
        'z NaN',
        'w{le="-Inf",} -1.5e3',
      ].join('\n'),
    );
    expect(snap.samples[0]).toEqual({ name: 'x_total', labels: { a: 'q"uote', b: 'back\\slash', c: 'new\nline' }, value: 3 });
    expect(snap.help.get('x_total')).toBe('A help line with a \\ backslash and \n newline');
    expect(snap.samples[1]!.value).toBe(Infinity);
    expect(Number.isNaN(snap.samples[2]!.value)).toBe(true);
    expect(snap.samples[3]).toEqual({ name: 'w', labels: { le: '-Inf' }, value: -1500 });
    expect(() => parseExposition('bad{a=1} 2')).toThrow(/line 1/);
    expect(() => parseExposition('x notanumber')).toThrow(SyntaxError);
    expect(() => delta(snap, snap, '')).toThrow(TypeError);
  });
});
