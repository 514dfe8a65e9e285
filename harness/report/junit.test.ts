import { describe, expect, it } from 'vitest';
import { renderJunit } from './junit.ts';
import { childrenNamed, parseXml } from '../test-support/tiny-xml.ts';
import { HOSTILE, sampleReport } from '../test-support/sample-report.ts';

describe('renderJunit', () => {
  it('is well-formed XML with one suite per plane plus mutation and the right counts', () => {
    const root = parseXml(renderJunit(sampleReport()));
    expect(root.name).toBe('testsuites');
    const suites = childrenNamed(root, 'testsuite');
    expect(suites.map((s) => s.attrs.name)).toEqual(['mtls', 'tokens', 'policy', 'mutation']);
    const byName = Object.fromEntries(suites.map((s) => [s.attrs.name, s]));
    expect(byName.mtls!.attrs).toMatchObject({ tests: '2', failures: '1', errors: '0', skipped: '0' });
    expect(byName.tokens!.attrs).toMatchObject({ tests: '1', failures: '0', errors: '1' });
    expect(byName.policy!.attrs).toMatchObject({ tests: '1', skipped: '1' });
    expect(byName.mutation!.attrs).toMatchObject({ tests: '2', failures: '1', errors: '0' });
    expect(root.attrs).toMatchObject({ tests: '6', failures: '2', errors: '1' });
    // junit-10.xsd allows only name, time, tests, failures and errors on <testsuites>
    expect(Object.keys(root.attrs).sort()).toEqual(['errors', 'failures', 'name', 'tests', 'time']);

    const cases = childrenNamed(byName.mtls!, 'testcase');
    expect(cases.map((c) => [c.attrs.name, c.attrs.classname])).toEqual([
      ['expired-client-cert', 'mtls'],
      ['hostile', 'mtls'],
    ]);
    for (const c of cases) expect(Object.keys(c.attrs).sort()).toEqual(['classname', 'name', 'time']);
    expect(childrenNamed(cases[0]!, 'failure')).toHaveLength(0);
    const failure = childrenNamed(cases[1]!, 'failure')[0]!;
    expect(failure.attrs.message).toBe('1 of 2 checks failed: control/status');
    // expected/observed of the failed check travel in the failure body
    expect(failure.text).toContain('"reason":"spiffe_id_not_allowed"');
    expect(failure.text).toContain('"status":200');
    // the scenario's file travels in the failure text and system-out, not in an attribute
    expect(failure.text).toContain('scenario file: scenarios/mtls/hostile.ts');
    expect(childrenNamed(cases[1]!, 'system-out')[0]!.text).toContain('file: scenarios/mtls/hostile.ts');
    expect(childrenNamed(childrenNamed(byName.tokens!, 'testcase')[0]!, 'error')[0]!.attrs.message).toBe('inject threw: boom');
    const survivor = childrenNamed(byName.mutation!, 'testcase').find((c) => c.attrs.name === 'tokens.no-replay-cache')!;
    expect(childrenNamed(survivor, 'failure')).toHaveLength(1);
    // mutant cases carry the wall time their mutant took
    expect(childrenNamed(byName.mutation!, 'testcase').map((c) => c.attrs.time)).toEqual(['41.250', '38.500']);
  });

  it('escapes hostile text and drops characters XML cannot carry', () => {
    const xml = renderJunit(sampleReport());
    expect(xml).not.toContain('<script>');
    expect(xml).not.toContain('\u0001');
    const root = parseXml(xml);
    const out = childrenNamed(childrenNamed(childrenNamed(root, 'testsuite')[0]!, 'testcase')[1]!, 'system-out')[0]!;
    // the text survives the round trip, minus the control character
    expect(out.text).toContain(HOSTILE.replace('\u0001', ''));
  });

  it('the tiny parser rejects broken XML (so the checks above can fail)', () => {
    expect(() => parseXml('<a><b></a></b>')).toThrow();
    expect(() => parseXml('<a x="<"/>')).toThrow();
    expect(() => parseXml('<a>&bogus;</a>')).toThrow();
    expect(() => parseXml('<a>\u0001</a>')).toThrow();
    expect(() => parseXml('<a/><b/>')).toThrow();
  });
});
