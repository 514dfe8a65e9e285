import { describe, expect, it } from 'vitest';
import { renderHtml } from './html.ts';
import { sampleReport } from '../test-support/sample-report.ts';

describe('renderHtml', () => {
  const html = renderHtml(sampleReport());

  it('puts the verdict on top', () => {
    const body = html.slice(html.indexOf('<body>'));
    expect(body.indexOf('<h1>FAIL</h1>')).toBeGreaterThan(-1);
    expect(body.indexOf('<h1>FAIL</h1>')).toBeLessThan(body.indexOf('<table'));
    expect(html).toContain('<header class="verdict fail">');
  });

  it('opens with a banner that names and links every failed and errored scenario; their rows come first', () => {
    const body = html.slice(html.indexOf('<body>'));
    const banner = body.indexOf('<nav class="attention"');
    expect(banner).toBeGreaterThan(body.indexOf('</header>'));
    expect(banner).toBeLessThan(body.indexOf('<h2>Scenarios</h2>'));
    const nav = body.slice(banner, body.indexOf('</nav>'));
    expect(nav).toContain('Needs attention: 1 failed, 1 errored, 1 mutants not killed');
    expect(nav).toContain('<a href="#scenario-mtls-hostile"><strong>mtls.hostile</strong></a>');
    expect(nav).toContain('<a href="#scenario-tokens-replay-other-workload"><strong>tokens.replay-other-workload</strong></a>');
    expect(nav).not.toContain('mtls.expired-client-cert');
    // every link in the banner lands on an element of the page
    for (const [, id] of nav.matchAll(/href="#([^"]+)"/g)) expect(html).toContain(`id="${id}"`);
    const rowOrder = [...body.matchAll(/<tr id="scenario-([^"]+)">/g)].map((m) => m[1]);
    expect(rowOrder).toEqual(['mtls-hostile', 'tokens-replay-other-workload', 'mtls-expired-client-cert', 'policy-unlisted-edge']);
  });

  it('escapes hostile text everywhere', () => {
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).not.toContain('\u0001');
  });

  it('references nothing external and runs no script', () => {
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).toContain("default-src 'none'");
  });

  it('shows evidence collapsible, latency against baseline and the mutants', () => {
    expect(html).toContain('<summary>evidence</summary>');
    expect(html).toContain('Latency vs baseline');
    expect(html).toMatch(/1\.90 ms/); // baseline handshake p50
    expect(html).toContain('+11 %');
    expect(html).toContain('Mutation: kill rate 50 %');
    expect(html).toContain('class="outcome survived">survived');
  });
});
