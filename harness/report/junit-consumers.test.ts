/**
 * The JUnit report as real consumers read it: xmllint against the schema Jenkins' xUnit plugin
 * validates with, and Debian's python3-junitparser.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderJunit } from './junit.ts';
import { MissingToolError, requireTool } from '../test-support/require-tool.ts';
import { sampleReport } from '../test-support/sample-report.ts';
import { useTempDirs } from '../test-support/temp-dirs.ts';

const XSD = fileURLToPath(new URL('./schemas/junit-10.xsd', import.meta.url));
// Debian's interpreter: a python3 earlier on PATH (pyenv, a venv) does not see Debian's dist-packages.
const DEBIAN_PYTHON = '/usr/bin/python3';
const tempDir = useTempDirs();

function writeXml(xml: string): string {
  const path = join(tempDir('meshgate-junit-'), 'junit.xml');
  writeFileSync(path, xml);
  return path;
}

function xmllint(path: string): { status: number | null; stderr: string } {
  const bin = requireTool('xmllint', 'libxml2-utils');
  const r = spawnSync(bin, ['--noout', '--schema', XSD, path], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr };
}

function junitparser(path: string): { status: number | null; stdout: string; stderr: string } {
  requireTool(DEBIAN_PYTHON, 'python3');
  const probe = spawnSync(DEBIAN_PYTHON, ['-c', 'import junitparser'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.status !== 0) throw new MissingToolError('the junitparser Python module', 'python3-junitparser');
  const script = `
import json, sys
from junitparser import JUnitXml, Failure, Error, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
out = {"tests": xml.tests, "failures": xml.failures, "errors": xml.errors, "suites": []}
for suite in xml:
    cases = []
    for case in suite:
        kinds = [type(r).__name__ for r in case.result]
        cases.append({"name": case.name, "classname": case.classname, "time": case.time, "results": kinds,
                      "messages": [r.message for r in case.result], "text": [r.text for r in case.result],
                      "out": case.system_out})
    out["suites"].append({"name": suite.name, "tests": suite.tests, "failures": suite.failures, "errors": suite.errors, "skipped": suite.skipped, "cases": cases})
print(json.dumps(out))
`;
  const r = spawnSync(DEBIAN_PYTHON, ['-c', script, path], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('JUnit report and real consumers', () => {
  it('validates against the xUnit plugin schema (junit-10.xsd) with xmllint, also with hostile text', () => {
    for (const report of [sampleReport(), sampleReport({ hostile: false, mutation: false })]) {
      const r = xmllint(writeXml(renderJunit(report)));
      expect(r.stderr).toMatch(/validates/);
      expect(r.status).toBe(0);
    }
  });

  it('xmllint refuses what the schema forbids (a file attribute, timestamp on testsuites), so the check above can fail', () => {
    const xml = renderJunit(sampleReport());
    const withFile = xml.replace('<testcase name="hostile"', '<testcase file="scenarios/mtls/hostile.ts" name="hostile"');
    expect(withFile).not.toBe(xml);
    const r1 = xmllint(writeXml(withFile));
    expect(r1.status).not.toBe(0);
    expect(r1.stderr).toMatch(/attribute 'file' is not allowed/);
    const r2 = xmllint(writeXml(xml.replace('<testsuites name="meshgate"', '<testsuites timestamp="2025-01-01T00:00:00Z" name="meshgate"')));
    expect(r2.status).not.toBe(0);
    expect(r2.stderr).toMatch(/attribute 'timestamp' is not allowed/);
  });

  it('python3-junitparser reads every suite, case, result and duration', () => {
    const r = junitparser(writeXml(renderJunit(sampleReport())));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const parsed = JSON.parse(r.stdout) as {
      tests: number;
      failures: number;
      errors: number;
      suites: { name: string; tests: number; failures: number; errors: number; skipped: number; cases: { name: string; classname: string; time: number; results: string[]; messages: string[]; text: string[]; out: string | null }[] }[];
    };
    expect(parsed).toMatchObject({ tests: 6, failures: 2, errors: 1 });
    expect(parsed.suites.map((s) => [s.name, s.tests, s.failures, s.errors, s.skipped])).toEqual([
      ['mtls', 2, 1, 0, 0],
      ['tokens', 1, 0, 1, 0],
      ['policy', 1, 0, 0, 1],
      ['mutation', 2, 1, 0, 0],
    ]);
    const cases = parsed.suites.flatMap((s) => s.cases);
    // name does not repeat the classname
    for (const c of cases.filter((c) => c.classname !== 'mutation')) expect(c.name.startsWith(`${c.classname}.`)).toBe(false);
    const hostile = cases.find((c) => c.name === 'hostile')!;
    expect(hostile.results).toEqual(['Failure']);
    expect(hostile.messages[0]).toBe('1 of 2 checks failed: control/status');
    expect(hostile.text[0]).toContain('scenario file: scenarios/mtls/hostile.ts');
    expect(hostile.out).toContain('file: scenarios/mtls/hostile.ts');
    expect(cases.find((c) => c.name === 'replay-other-workload')!.results).toEqual(['Error']);
    expect(cases.find((c) => c.name === 'unlisted-edge')!.results).toEqual(['Skipped']);
    expect(cases.filter((c) => c.classname === 'mutation').map((c) => [c.name, c.time, c.results])).toEqual([
      ['mtls.client-auth-optional', 41.25, []],
      ['tokens.no-replay-cache', 38.5, ['Failure']],
    ]);
  });
});
