/**
 * JUnit XML valid against the schema Jenkins' xUnit plugin validates with (schemas/junit-10.xsd):
 * one testsuite per plane, one testcase per scenario (classname = plane, name = the id without
 * it), and a 'mutation' suite where a surviving mutant is a failure. A testcase carries only
 * name, classname and time, so the scenario's file travels in the failure text and system-out.
 */
import { PLANES } from '../scenario/meta.ts';
import { failedChecks, type ScenarioResult } from '../scenario/result.ts';
import type { MutantResult } from '../scenario/mutation.ts';
import type { RunReport } from './run-report.ts';
import { escapeXml, formatValue } from './text.ts';

interface Case {
  name: string;
  classname: string;
  timeS: number;
  body: string;
  kind: 'pass' | 'failure' | 'error' | 'skipped';
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

function checkLines(result: ScenarioResult): string {
  return failedChecks(result)
    .map(({ kind, check }) => {
      const lines = [`${kind}/${check.name}: expected ${formatValue(check.expected)}, observed ${formatValue(check.observed)}`];
      if (check.evidence !== undefined) lines.push(`  evidence: ${formatValue(check.evidence, 1000)}`);
      return lines.join('\n');
    })
    .join('\n');
}

/** The id without its plane prefix: consumers show classname and name side by side. */
export function caseName(id: string, classname: string): string {
  return id.startsWith(`${classname}.`) ? id.slice(classname.length + 1) : id;
}

function scenarioCase(result: ScenarioResult): Case {
  const message = escapeXml(result.message ?? '');
  const out = [`${result.title}`, `scenario: ${result.id}`, ...(result.file ? [`file: ${result.file}`] : []), `threat: ${result.threat}`, `severity: ${result.severity}`, `correlation: ${result.correlationId}`];
  if (Object.keys(result.latency).length > 0) out.push(`latency: ${JSON.stringify(result.latency)}`);
  const systemOut = `<system-out>${escapeXml(out.join('\n'))}</system-out>`;
  const errors = result.errors.map((e) => `[${e.phase}] ${e.message}${e.stack ? `\n${e.stack}` : ''}`).join('\n');
  const where = result.file ? `\nscenario file: ${result.file}` : '';
  let body: string;
  let kind: Case['kind'];
  switch (result.outcome) {
    case 'failed':
      kind = 'failure';
      body = `<failure message="${message}" type="${escapeXml(failedChecks(result).some((f) => f.kind === 'control') ? 'control' : 'detection')}">${escapeXml(checkLines(result) + (errors ? `\n${errors}` : '') + where)}</failure>`;
      break;
    case 'error':
      kind = 'error';
      body = `<error message="${message}" type="harness">${escapeXml(errors + where)}</error>`;
      break;
    case 'skipped':
      kind = 'skipped';
      body = `<skipped message="${message}"/>`;
      break;
    default:
      kind = 'pass';
      body = '';
  }
  return { name: caseName(result.id, result.plane), classname: result.plane, timeS: result.durationMs / 1000, body: body + systemOut, kind };
}

function mutantCase(m: MutantResult): Case {
  const loc = `${m.mutant.location.uri}${m.mutant.location.setting ? ` (${m.mutant.location.setting})` : ''}`;
  const detail = `${m.mutant.title}\nfault: ${m.mutant.fault}\nlocation: ${loc}`;
  const c = { name: m.mutant.id, classname: 'mutation', timeS: (m.durationMs ?? 0) / 1000 };
  if (m.error !== undefined) return { ...c, kind: 'error', body: `<error message="${escapeXml(m.error)}" type="harness">${escapeXml(detail)}</error>` };
  if (m.survived) return { ...c, kind: 'failure', body: `<failure message="survived: no scenario failed with this fault" type="mutant-survived">${escapeXml(detail)}</failure>` };
  return { ...c, kind: 'pass', body: `<system-out>${escapeXml(`${detail}\nkilled by: ${m.killedBy.join(', ')}`)}</system-out>` };
}

function suite(name: string, cases: readonly Case[], timestamp: string): string {
  const count = (k: Case['kind']): number => cases.filter((c) => c.kind === k).length;
  const time = cases.reduce((sum, c) => sum + c.timeS, 0);
  const head = `  <testsuite name="${escapeXml(name)}" tests="${cases.length}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}" time="${time.toFixed(3)}" timestamp="${escapeXml(timestamp)}">`;
  const body = cases.map((c) => `    <testcase name="${escapeXml(c.name)}" classname="${escapeXml(c.classname)}" time="${c.timeS.toFixed(3)}">${c.body}</testcase>`);
  return [head, ...body, '  </testsuite>'].join('\n');
}

export function renderJunit(report: RunReport): string {
  const suites: { name: string; cases: Case[] }[] = [];
  const planes = [...PLANES, ...new Set(report.scenarios.map((s) => s.plane).filter((p) => !(PLANES as readonly string[]).includes(p)))];
  for (const plane of planes) {
    const cases = report.scenarios.filter((s) => s.plane === plane).map(scenarioCase);
    if (cases.length > 0) suites.push({ name: plane, cases });
  }
  if (report.mutation && report.mutation.mutants.length > 0) suites.push({ name: 'mutation', cases: report.mutation.mutants.map(mutantCase) });

  const all = suites.flatMap((s) => s.cases);
  const count = (k: Case['kind']): number => all.filter((c) => c.kind === k).length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="meshgate" tests="${all.length}" failures="${count('failure')}" errors="${count('error')}" time="${seconds(report.durationMs)}">`,
    ...suites.map((s) => suite(s.name, s.cases, report.startedAt)),
    '</testsuites>',
    '',
  ].join('\n');
}
