import { describe, expect, it } from 'vitest';
import { renderSarif, SARIF_SCHEMA } from './sarif.ts';
import { sampleReport } from '../test-support/sample-report.ts';

type Json = any;

describe('renderSarif', () => {
  const sarif: Json = JSON.parse(renderSarif(sampleReport()));
  const run = sarif.runs[0];

  it('has the required SARIF 2.1.0 fields', () => {
    expect(sarif.$schema).toBe(SARIF_SCHEMA);
    expect(sarif.version).toBe('2.1.0');
    expect(run.tool.driver.name).toBe('meshgate');
    expect(Array.isArray(run.tool.driver.rules)).toBe(true);
    for (const result of run.results) {
      expect(typeof result.ruleId).toBe('string');
      expect(result.level).toBe('error');
      expect(typeof result.message.text).toBe('string');
      expect(Array.isArray(result.locations)).toBe(true);
      expect(run.tool.driver.rules[result.ruleIndex].id).toBe(result.ruleId);
    }
  });

  it('has one rule per scenario with security-severity strings and tags', () => {
    const rules = Object.fromEntries(run.tool.driver.rules.map((r: Json) => [r.id, r]));
    expect(rules['mtls.expired-client-cert'].properties['security-severity']).toBe('9.5');
    expect(rules['mtls.hostile'].properties['security-severity']).toBe('8.0');
    expect(rules['tokens.replay-other-workload'].properties['security-severity']).toBe('5.5');
    expect(rules['policy.unlisted-edge'].properties['security-severity']).toBe('3.0');
    expect(rules['mtls.hostile'].properties.tags).toEqual(['security', 'mtls', 'handshake']);
  });

  it('reports only failed scenarios and surviving mutants, located at the control', () => {
    expect(run.results.map((r: Json) => r.ruleId)).toEqual(['mtls.hostile', 'mutation.survived']);
    const [scenario, mutant] = run.results;
    // no control declared: falls back to the scenario file
    expect(scenario.locations[0].physicalLocation.artifactLocation.uri).toBe('scenarios/mtls/hostile.ts');
    expect(mutant.locations[0].physicalLocation.artifactLocation.uri).toBe('services/kit/tokens/replay.ts');
    expect(mutant.message.text).toContain('tokens.no-replay-cache');
  });

  it('places a result at the control file and region when the scenario declares one', () => {
    const report = sampleReport({ mutation: false });
    report.scenarios[0]!.outcome = 'failed';
    report.scenarios[0]!.checks.control[0]!.ok = false;
    const results: Json[] = JSON.parse(renderSarif(report)).runs[0].results;
    const loc = results.find((r) => r.ruleId === 'mtls.expired-client-cert').locations[0].physicalLocation;
    expect(loc).toEqual({ artifactLocation: { uri: 'services/kit/mtls/verify.ts', uriBaseId: '%SRCROOT%' }, region: { startLine: 42 } });
  });
});
