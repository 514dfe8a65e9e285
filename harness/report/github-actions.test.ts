import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { annotationLines, publishToGithubActions } from './github-actions.ts';
import { renderMarkdown } from './markdown.ts';
import { buildRunReport } from './run-report.ts';
import { HOSTILE, sampleReport, scenarioFixture } from '../test-support/sample-report.ts';

/** How the Actions runner reads a workflow command: `::name k=v,k=v::message`, percent-decoded. */
function parseCommand(line: string): { name: string; props: Record<string, string>; message: string } {
  const m = /^::([a-z]+) ([^:]*)::(.*)$/s.exec(line);
  if (!m) throw new Error(`not a workflow command: ${line}`);
  const unescape = (v: string) => v.replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
  const props = Object.fromEntries(m[2]!.split(',').map((kv) => {
    const at = kv.indexOf('=');
    return [kv.slice(0, at), unescape(kv.slice(at + 1))];
  }));
  return { name: m[1]!, props, message: unescape(m[3]!) };
}

describe('GitHub Actions annotations', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('one error per failed or errored scenario and surviving mutant, each a single line at a file and line', () => {
    const lines = annotationLines(sampleReport());
    const commands = lines.map(parseCommand);
    expect(commands.map((c) => c.props.title)).toEqual(['meshgate failed: mtls.hostile', 'meshgate error: tokens.replay-other-workload', 'meshgate mutant survived: tokens.no-replay-cache']);
    for (const line of lines) expect(line).not.toMatch(/[\r\n]/);
    const [failed, errored, mutant] = commands;
    for (const c of [failed!, mutant!]) {
      expect(c.name).toBe('error');
      expect(c.props.file).toMatch(/\.ts$/);
      expect(Number(c.props.line)).toBeGreaterThanOrEqual(1);
    }
    // an errored scenario is not a failed control: it points at its own file, and this fixture names none
    expect(errored!.props.file).toBeUndefined();
    // a failed control with no declared control points at the scenario; its message names the failing check
    expect(failed!.props.file).toBe('scenarios/mtls/hostile.ts');
    expect(failed!.message).toContain('control/status');
    expect(failed!.message).toContain(HOSTILE.slice(0, 20));
    expect(failed!.message.split('\n').length).toBeGreaterThan(1);
    expect(errored!.message).toContain('[inject] inject threw: boom');
    expect(mutant!.props.file).toBe('services/kit/workload/settings.ts');
    expect(mutant!.message).toContain('survived');
  });

  it('hostile text cannot start a second command or break out of a property', () => {
    const report = sampleReport();
    report.scenarios[1]!.title = 'x\n::error::injected, title=y';
    const lines = annotationLines(report);
    expect(lines.filter((l) => l.startsWith('::')).length).toBe(lines.length);
    expect(lines.join('\n').split('\n').length).toBe(lines.length);
    expect(parseCommand(lines[0]!).message).toContain('x\n::error::injected, title=y');
  });

  it('a passing run has nothing to annotate', () => {
    const passing = buildRunReport({ runId: 'r1', startedAt: 0, finishedAt: 1000, engine: 'local', scenarios: [scenarioFixture({ id: 'mtls.a' }), scenarioFixture({ id: 'tokens.b' })] });
    expect(annotationLines(passing)).toEqual([]);
  });

  it('writes nothing outside GitHub Actions, and inside appends the Markdown summary to the step summary', () => {
    const out: string[] = [];
    expect(publishToGithubActions(sampleReport(), {}, (l) => out.push(l))).toEqual({ annotations: [] });
    expect(out).toEqual([]);

    const dir = mkdtempSync(join(tmpdir(), 'meshgate-gha-'));
    dirs.push(dir);
    const summary = join(dir, 'step-summary.md');
    writeFileSync(summary, '# an earlier step\n');
    const report = sampleReport();
    const result = publishToGithubActions(report, { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary }, (l) => out.push(l));
    expect(out).toEqual(annotationLines(report));
    expect(result.stepSummary).toBe(summary);
    const text = readFileSync(summary, 'utf8');
    expect(text.startsWith('# an earlier step\n')).toBe(true);
    expect(text).toContain(renderMarkdown(report));
  });
});
