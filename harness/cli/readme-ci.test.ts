/**
 * The README's CI workflows, held to what meshgate really does: both YAML blocks parse, the gate
 * command they run is one `meshgate run` accepts, and every report file they upload or publish is
 * one a run writes into the folder the command names.
 */
import { expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runFlags } from './commands/run.ts';
import { parseFlags } from './parse.ts';
import { PACKAGE_ROOT } from '../mesh/state-dir.ts';
import { GATE_METRICS_FILE } from '../report/gate-metrics.ts';
import { REPORT_FILES } from '../report/write.ts';

const SECTION = '### In CI';

function workflowBlocks(): unknown[] {
  const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n${SECTION}\n`);
  if (start === -1) throw new Error(`README.md has no "${SECTION}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/\n```yaml\n([\s\S]*?)\n```\n/g)].map((m) => parse(m[1]!));
}

/** The report folder the gate command writes, after checking meshgate's own parser accepts the command. */
function reportDirOf(command: string): string {
  const words = command.trim().split(/\s+/);
  expect(words.slice(0, 3)).toEqual(['npx', 'meshgate', 'run']);
  const { values } = parseFlags('run', words.slice(3), runFlags, true);
  expect(values['report-dir'], command).toBeTruthy();
  return values['report-dir']!.replace(/\/$/, '');
}

/** Every path a run writes under its report folder (reports, the gate textfile, the state folder). */
function writtenUnder(dir: string): Set<string> {
  return new Set([...Object.values(REPORT_FILES), GATE_METRICS_FILE, 'state/', ''].map((f) => (f ? `${dir}/${f}` : `${dir}/`)));
}

test('the GitHub Actions workflow runs the gate and uploads SARIF, publishes JUnit and attaches the HTML report the run writes', () => {
  const [github] = workflowBlocks() as Array<{ permissions: Record<string, string>; jobs: Record<string, { steps: Array<{ run?: string; uses?: string; if?: string; with?: Record<string, string> }> }> }>;
  expect(github!.permissions['security-events']).toBe('write');
  const steps = Object.values(github!.jobs)[0]!.steps;
  const gate = steps.filter((s) => s.run?.includes('meshgate'));
  expect(gate).toHaveLength(1);
  const written = writtenUnder(reportDirOf(gate[0]!.run!));
  const after = steps.slice(steps.indexOf(gate[0]!) + 1);
  const step = (action: string) => {
    const found = after.find((s) => s.uses?.startsWith(`${action}@`));
    expect(found, action).toBeDefined();
    expect(found!.if, `${action} must also run when the gate is red`).toMatch(/always\(\)|!cancelled\(\)/);
    return found!.with!;
  };
  expect(written).toContain(step('github/codeql-action/upload-sarif').sarif_file);
  // automationDetails.id in the SARIF keeps partial runs apart; a category input would be ignored.
  expect(step('github/codeql-action/upload-sarif').category).toBeUndefined();
  expect(written).toContain(step('mikepenz/action-junit-report').report_paths);
  const artifact = step('actions/upload-artifact').path!.split('\n').filter(Boolean);
  expect(artifact.filter((p) => !written.has(p))).toEqual([]);
  expect(artifact).toContain([...written].find((p) => p.endsWith(REPORT_FILES.html)));
});

test('the GitLab CI job runs the gate, keeps the report folder on a red gate and hands GitLab the JUnit report', () => {
  const [, gitlab] = workflowBlocks() as Array<Record<string, { script: string[]; artifacts: { when: string; paths: string[]; reports: { junit: string } } }>>;
  const job = Object.values(gitlab!)[0]!;
  const gate = job.script.filter((line) => line.includes('meshgate'));
  expect(gate).toHaveLength(1);
  const written = writtenUnder(reportDirOf(gate[0]!));
  expect(job.artifacts.when).toBe('always');
  expect(job.artifacts.paths.filter((p) => !written.has(p))).toEqual([]);
  expect(written).toContain(job.artifacts.reports.junit);
});
