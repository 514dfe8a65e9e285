import { describe, expect, it } from 'vitest';
import { check, expectation } from './check.ts';
import { defineScenario, type AnyScenario } from './define.ts';
import { ScenarioSelectionError } from './errors.ts';
import type { Plane } from './meta.ts';
import { globToRegExp, selectScenarios } from './select.ts';

function scenario(id: string, title: string, tags: string[]): AnyScenario {
  return defineScenario({
    meta: { id, title, plane: id.split('.')[0] as Plane, severity: 'high', threat: 'x', tags },
    inject: () => undefined,
    expect: () => expectation([check('x', 1, 1)]),
  });
}

const catalog = [
  scenario('mtls.expired-client-cert', 'Expired client certificate', ['handshake']),
  scenario('mtls.wrong-spiffe-id', 'Caller not on the route list', ['handshake', 'authz']),
  scenario('tokens.replay-other-workload', 'Replay over another certificate', ['replay']),
  scenario('policy.unlisted-edge', 'Permit outside the topology', ['authz']),
];
const ids = (list: AnyScenario[]) => list.map((s) => s.meta.id);

describe('selectScenarios', () => {
  it('returns everything without filters', () => {
    expect(ids(selectScenarios(catalog))).toHaveLength(4);
  });

  it('selects by glob, exact id and bare plane name', () => {
    expect(ids(selectScenarios(catalog, { patterns: ['mtls.*'] }))).toEqual(['mtls.expired-client-cert', 'mtls.wrong-spiffe-id']);
    expect(ids(selectScenarios(catalog, { patterns: ['*.replay-*', 'policy.unlisted-edge'] }))).toEqual(['tokens.replay-other-workload', 'policy.unlisted-edge']);
    expect(ids(selectScenarios(catalog, { patterns: ['tokens'] }))).toEqual(['tokens.replay-other-workload']);
    expect(globToRegExp('a.b?').test('a.bc')).toBe(true);
    expect(globToRegExp('a.b?').test('axbc')).toBe(false);
  });

  it('selects by tag (any) and grep over id and title, combined with AND', () => {
    expect(ids(selectScenarios(catalog, { tags: ['authz'] }))).toEqual(['mtls.wrong-spiffe-id', 'policy.unlisted-edge']);
    expect(ids(selectScenarios(catalog, { grep: /certificate/i }))).toEqual(['mtls.expired-client-cert', 'tokens.replay-other-workload']);
    expect(ids(selectScenarios(catalog, { patterns: ['mtls.*'], tags: ['authz'] }))).toEqual(['mtls.wrong-spiffe-id']);
    const sticky = /cert/g;
    expect(ids(selectScenarios(catalog, { grep: sticky }))).toHaveLength(2);
  });

  it('is a usage error, naming every pattern or tag that matches nothing', () => {
    try {
      selectScenarios(catalog, { patterns: ['mtls.*', 'mtsl.*'], tags: ['nope'] });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ScenarioSelectionError);
      expect((error as ScenarioSelectionError).code).toBe('MESHGATE_ERR_SCENARIO_NO_MATCH');
      expect((error as ScenarioSelectionError).problems).toEqual(['pattern "mtsl.*" matches no scenario', 'tag "nope" is on no scenario']);
    }
    expect(() => selectScenarios(catalog, { patterns: ['policy.*'], tags: ['handshake'] })).toThrow(ScenarioSelectionError);
    expect(() => selectScenarios(catalog, { grep: /nothing-like-this/ })).toThrow(/no scenario matches grep/);
  });
});
