import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './markdown.ts';
import { sampleReport, scenarioFixture } from '../test-support/sample-report.ts';
import { buildRunReport } from './run-report.ts';

describe('renderMarkdown', () => {
  it('leads with the verdict and counts, has a row per scenario and the mutation table', () => {
    const md = renderMarkdown(sampleReport());
    expect(md.split('\n')[0]).toBe('## meshgate: ❌ FAIL');
    expect(md).toContain('**4** scenarios · 1 passed · 1 failed · 1 errors · 1 skipped · kill rate 50 %');
    expect(md).toMatch(/\| ✅ \| \*\*mtls\.expired-client-cert\*\*<br>title of mtls\.expired-client-cert \| critical \| passed \| 1\/1 \| 1\/1 \| 2\.10 ms \(\+11 %\) \| 120 ms \|/);
    expect(md).toContain('### Mutation: kill rate 50 % (1/2 killed)');
    expect(md).toContain('❌ survived');
  });

  it('details failed checks with expected and observed', () => {
    const md = renderMarkdown(sampleReport({ hostile: false }));
    expect(md).toContain('- **control** status: expected <code>{"status":403,"reason":"spiffe\\_id\\_not\\_allowed"}</code>, observed <code>{"status":200,"body":"ok"}</code>');
  });

  it('escapes hostile scenario text: no raw HTML and no table breakage', () => {
    const md = renderMarkdown(sampleReport());
    expect(md).not.toMatch(/<\/?script/i);
    expect(md).toContain('&lt;script&gt;');
    // every table row keeps its column count despite "|" in the text
    const rows = md.split('\n').filter((l) => l.startsWith('| '));
    for (const row of rows) {
      const cells = row.replace(/\\\|/g, '').split('|').length;
      expect(cells === 10 || cells === 7).toBe(true);
    }
  });

  it('opens with the failed and errored scenarios: a banner names and links each, their details, then the rows with passing ones last', () => {
    const md = renderMarkdown(sampleReport({ hostile: false }));
    const banner = md.indexOf('> **Needs attention**');
    const bannerLine = md.split('\n').find((l) => l.startsWith('> **Needs attention**'))!;
    expect(bannerLine).toContain('1 failed, 1 errored: ❌ [mtls.hostile](#scenario-mtls-hostile) (failed) · ⚠️ [tokens.replay-other-workload](#scenario-tokens-replay-other-workload) (error)');
    expect(bannerLine).toContain('mutants not killed: tokens.no-replay-cache');
    expect(md).toContain('<a id="scenario-mtls-hostile"></a>');
    expect(md).toContain('<a id="scenario-tokens-replay-other-workload"></a>');
    expect(banner).toBeGreaterThan(-1);
    expect(banner).toBeLessThan(md.indexOf('### Failures'));
    expect(md.indexOf('### Failures')).toBeLessThan(md.indexOf('### Scenarios'));
    const rows = md.split('\n').filter((l) => /^\| (✅|❌|⚠️|⏭️) \|/.test(l)).map((l) => l.split(' | ')[3]);
    expect(rows).toEqual(['failed', 'error', 'passed', 'skipped']);
  });

  it('has no banner when nothing needs attention', () => {
    const report = buildRunReport({ runId: 'r1', startedAt: 0, finishedAt: 1000, engine: 'local', scenarios: [scenarioFixture({ id: 'mtls.a' })] });
    expect(renderMarkdown(report)).not.toContain('Needs attention');
  });

  it('says PASS when everything passed', () => {
    const report = buildRunReport({ runId: 'r1', startedAt: 0, finishedAt: 1000, engine: 'local', scenarios: [scenarioFixture({ id: 'mtls.a' })] });
    expect(renderMarkdown(report).split('\n')[0]).toBe('## meshgate: ✅ PASS');
  });
});
